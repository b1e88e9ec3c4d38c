/** One labelled text of an evaluation set. */
export interface LabelledText {
  text: string;
  /** Whether the detector should route the text to `flagged`. */
  flagged: boolean;
}

export const flagged = (text: string): LabelledText => ({ text, flagged: true });
export const safe = (text: string): LabelledText => ({ text, flagged: false });
