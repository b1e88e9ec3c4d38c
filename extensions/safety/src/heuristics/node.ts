import { defineNode, type Item, type NodeImplementation } from '@mify/sdk';
import { cloneJson, collectTexts, type MissingFieldPolicy } from '../fields.js';
import { optionsPerItem } from '../item-parameters.js';
import { readBoolean, readEnum, readFieldPaths, readMaxTextLength, readNumber, readOutputField } from '../parameters.js';
import { assess, findSignals, type DetectorRules, type Signal } from './scorer.js';

interface DetectorOptions {
  fields: string[];
  threshold: number;
  outputField: string;
  missingField: MissingFieldPolicy;
  maxTextLength: number;
  decodeEncodings: boolean;
}

/** Result written to each item under the node's output field. */
export interface DetectorResult {
  score: number;
  label: 'safe' | 'flagged';
  threshold: number;
  /** Field paths whose strings were scanned. */
  scannedFields: string[];
  signals: Signal[];
}

function readDetectorOptions(parameters: Record<string, unknown>, defaultOutputField: string): DetectorOptions {
  return {
    fields: readFieldPaths(parameters, 'fields', ['text']),
    threshold: readNumber(parameters, 'threshold', { min: 0, max: 1 }, 0.5),
    outputField: readOutputField(parameters, 'outputField', defaultOutputField),
    missingField: readEnum(parameters, 'missingField', ['error', 'skip'], 'error'),
    maxTextLength: readMaxTextLength(parameters),
    decodeEncodings: readBoolean(parameters, 'decodeEncodings', true),
  };
}

/**
 * Creates a node that scores the selected fields of each item with `rules` and routes the
 * item to the `flagged` output when the score reaches the threshold, or to `safe`.
 */
export function createDetectorNode(rules: DetectorRules, defaultOutputField: string): NodeImplementation {
  return defineNode({
    execute(_ctx, input) {
      const optionsOf = optionsPerItem(input, (parameters) => readDetectorOptions(parameters, defaultOutputField));
      const safe: Item[] = [];
      const flagged: Item[] = [];

      input.items.forEach((item, index) => {
        const scored = scoreItem(item, index, optionsOf(index), rules);
        ((scored.json[optionsOf(index).outputField] as DetectorResult).label === 'flagged' ? flagged : safe).push(scored);
      });
      return { safe, flagged };
    },
  });
}

function scoreItem(item: Item, itemIndex: number, options: DetectorOptions, rules: DetectorRules): Item {
  const json = cloneJson(item.json);
  const targets = collectTexts(json, { fields: options.fields, missingField: options.missingField, maxTextLength: options.maxTextLength, itemIndex, exclude: options.outputField });

  const signals = targets.flatMap((target) => findSignals(target.text, target.path, rules, { decodeEncodings: options.decodeEncodings }));
  const { score, signals: ordered } = assess(signals);
  const result: DetectorResult = {
    score,
    label: score >= options.threshold ? 'flagged' : 'safe',
    threshold: options.threshold,
    scannedFields: targets.map((target) => target.path),
    signals: ordered,
  };

  json[options.outputField] = result as unknown as Record<string, unknown>;
  const scored: Item = { json };
  if (item.binary) scored.binary = item.binary;
  return scored;
}
