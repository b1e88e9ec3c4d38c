import { prepareText, type ObfuscationTraces, type TextView, type ViewKind } from './views.js';

/**
 * Heuristic scoring shared by the prompt-injection and jailbreak detectors. A detector is a
 * list of rules (regular expressions over normalized text, each with a weight from 0 to 1)
 * plus weights for traces of hiding. The score combines the weights of the distinct signals
 * that fired as a noisy OR, 1 - (1 - w1)(1 - w2)..., so one strong signal or several weak
 * ones raise it, and it never exceeds 1.
 */

export interface SignalRule {
  /** Stable id reported in the output, such as `override_previous_instructions`. */
  id: string;
  /** Group of related rules, such as `instruction_override`. */
  category: string;
  weight: number;
  /** Patterns over normalized (lower-case) text; one match fires the rule. */
  patterns: RegExp[];
}

export interface DetectorRules {
  rules: SignalRule[];
  /** Weights of hiding traces, which fire whether or not a rule matched. */
  traceWeights: Record<keyof ObfuscationTraces, number>;
  /** Weight of a rule that matched only in a decoded or de-obfuscated view, added as `obfuscated_<view>`. */
  hiddenMatchWeight: number;
  /**
   * Words that show a text discusses attacks rather than making one, such as "prompt
   * injection" or "classifier". When present, a rule matched inside quotes counts
   * `quotedDiscussionFactor` of its weight, and elsewhere `discussionFactor`.
   */
  discussionMarkers: RegExp;
  discussionFactor: number;
  quotedDiscussionFactor: number;
}

/** One reason for the score. */
export interface Signal {
  id: string;
  category: string;
  /** Weight after discounts, from 0 to 1. */
  weight: number;
  /** Field path of the text it was found in. */
  field: string;
  /** View the rule matched in: `text` for the plain text, or how the text was decoded. */
  view: ViewKind;
  /** The matched text, normalized, at most 80 characters. */
  evidence: string;
  /** Whether the match sat inside quotes in a text that discusses attacks. */
  discounted?: boolean;
}

export interface Assessment {
  /** From 0 (no signal) to 1, rounded to 3 decimals. */
  score: number;
  signals: Signal[];
}

const MAX_EVIDENCE = 80;
const URLS_AND_ADDRESSES = /\bhttps?:\/\/\S+|(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;

/** Finds the signals of `rules` in one string. */
export function findSignals(text: string, field: string, rules: DetectorRules, options: { decodeEncodings: boolean }): Signal[] {
  const prepared = prepareText(text, options);
  const signals: Signal[] = [];
  // URLs and mail addresses are left out, so "attacker-inbox@..." does not read as a discussion of attacks.
  // Leetspeak and spaced views are skipped because they garble addresses and invent words.
  const discussion = prepared.views.some((view) => view.kind !== 'leetspeak' && view.kind !== 'spaced' && rules.discussionMarkers.test(view.text.replace(URLS_AND_ADDRESSES, ' ')));

  const traceSignal = (id: keyof ObfuscationTraces, name: string, count: number) => {
    if (count === 0 || rules.traceWeights[id] === 0) return;
    signals.push({ id: name, category: 'obfuscation', weight: rules.traceWeights[id], field, view: 'text', evidence: `${count} occurrence${count === 1 ? '' : 's'}` });
  };
  traceSignal('zeroWidthInWords', 'zero_width_characters', prepared.traces.zeroWidthInWords);
  traceSignal('unicodeTags', 'unicode_tag_characters', prepared.traces.unicodeTags);
  traceSignal('bidiControls', 'bidi_control_characters', prepared.traces.bidiControls);
  traceSignal('homoglyphWords', 'mixed_script_words', prepared.traces.homoglyphWords);

  for (const rule of rules.rules) {
    const found = matchRule(rule, prepared.views);
    if (found === null) continue;

    let weight = rule.weight;
    let discounted = false;
    // NOTE: an attacker can add discussion words to lower the score. The discount accepts that
    // in exchange for fewer false positives on texts about security.
    if (discussion) {
      discounted = isQuoted(found.view.text, found.index, found.index + found.text.length);
      weight *= discounted ? rules.quotedDiscussionFactor : rules.discussionFactor;
    }
    const signal: Signal = { id: rule.id, category: rule.category, weight: round(weight), field, view: found.view.kind, evidence: evidence(found.text) };
    if (discounted) signal.discounted = true;
    signals.push(signal);

    if (found.view.kind !== 'text') {
      signals.push({ id: `obfuscated_${found.view.kind}`, category: 'obfuscation', weight: rules.hiddenMatchWeight, field, view: found.view.kind, evidence: evidence(found.text) });
    }
  }
  return signals;
}

/** Combines signals into a score: per id the highest weight, then a noisy OR over the ids. */
export function assess(signals: Signal[]): Assessment {
  const strongest = new Map<string, number>();
  for (const signal of signals) strongest.set(signal.id, Math.max(strongest.get(signal.id) ?? 0, signal.weight));

  let remaining = 1;
  for (const weight of strongest.values()) remaining *= 1 - weight;
  const ordered = [...signals].sort((a, b) => b.weight - a.weight || a.id.localeCompare(b.id));
  return { score: round(1 - remaining), signals: ordered };
}

/** Finds the first match of a rule, trying the plain view first so evidence reads as written. */
function matchRule(rule: SignalRule, views: TextView[]): { view: TextView; index: number; text: string } | null {
  for (const view of views) {
    for (const pattern of rule.patterns) {
      pattern.lastIndex = 0;
      const match = pattern.exec(view.text);
      if (match) return { view, index: match.index, text: match[0] };
    }
  }
  return null;
}

// Double quotes, backticks, and single quotes that open after a non-letter and close before one.
const QUOTED_SPANS = /"[^"\n]{1,400}"|`[^`\n]{1,400}`|(?<![\p{L}\p{N}])'[^'\n]{2,400}'(?![\p{L}\p{N}])/gu;

function isQuoted(text: string, start: number, end: number): boolean {
  for (const span of text.matchAll(QUOTED_SPANS)) {
    if (span.index <= start && end <= span.index + span[0].length) return true;
    if (span.index > start) break;
  }
  return false;
}

function evidence(text: string): string {
  const trimmed = text.trim().replace(/\s+/g, ' ');
  return trimmed.length > MAX_EVIDENCE ? `${trimmed.slice(0, MAX_EVIDENCE - 3)}...` : trimmed;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
