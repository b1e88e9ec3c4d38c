/** Counts of a binary classification against labels. */
export interface Confusion {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
}

export interface Metrics extends Confusion {
  /** Share of flagged cases that were positive; 1 when nothing was flagged. */
  precision: number;
  /** Share of positive cases that were flagged; 1 when there were no positives. */
  recall: number;
}

export function metricsOf(confusion: Confusion): Metrics {
  const flagged = confusion.truePositives + confusion.falsePositives;
  const positives = confusion.truePositives + confusion.falseNegatives;
  return {
    ...confusion,
    precision: flagged === 0 ? 1 : confusion.truePositives / flagged,
    recall: positives === 0 ? 1 : confusion.truePositives / positives,
  };
}

/** Formats metrics for the test log, such as `precision 0.981 recall 0.953 (tp 81, fp 2, fn 4, tn 78)`. */
export function describeMetrics(metrics: Metrics): string {
  return `precision ${metrics.precision.toFixed(3)} recall ${metrics.recall.toFixed(3)} (tp ${metrics.truePositives}, fp ${metrics.falsePositives}, fn ${metrics.falseNegatives}, tn ${metrics.trueNegatives})`;
}
