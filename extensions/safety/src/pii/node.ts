import { defineNode, type Item } from '@mify/sdk';
import { cloneJson, collectTexts, type MissingFieldPolicy } from '../fields.js';
import { readBoolean, readCharacter, readEnum, readEnumList, readFieldPaths, readMaxTextLength, readNumber, readOutputField } from '../parameters.js';
import { optionsPerItem } from '../item-parameters.js';
import { findPii } from './detectors.js';
import { redact, type RedactionStyle } from './redact.js';
import { PII_TYPES, type PiiMatch, type PiiType } from './types.js';

interface PiiOptions {
  mode: 'detect' | 'redact';
  fields: string[];
  types: PiiType[];
  minConfidence: number;
  redaction: RedactionStyle;
  maskCharacter: string;
  keepLast: number;
  includeValues: boolean;
  outputField: string;
  missingField: MissingFieldPolicy;
  maxTextLength: number;
}

/** One finding as written to the item, with its field and span in the original string. */
interface PiiFinding extends PiiMatch {
  field: string;
  value?: string;
}

export function readPiiOptions(parameters: Record<string, unknown>): PiiOptions {
  return {
    mode: readEnum(parameters, 'mode', ['detect', 'redact'], 'detect'),
    fields: readFieldPaths(parameters, 'fields', []),
    types: readEnumList(parameters, 'types', PII_TYPES, PII_TYPES),
    minConfidence: readNumber(parameters, 'minConfidence', { min: 0, max: 1 }, 0.5),
    redaction: readEnum(parameters, 'redaction', ['label', 'mask'], 'label'),
    maskCharacter: readCharacter(parameters, 'maskCharacter', '*'),
    keepLast: readNumber(parameters, 'keepLast', { min: 0, max: 8, integer: true }, 0),
    includeValues: readBoolean(parameters, 'includeValues', false),
    outputField: readOutputField(parameters, 'outputField', 'pii'),
    missingField: readEnum(parameters, 'missingField', ['error', 'skip'], 'error'),
    maxTextLength: readMaxTextLength(parameters),
  };
}

/** Finds or redacts PII in the selected fields of each item. */
export const piiNode = defineNode({
  execute(_ctx, input) {
    const optionsOf = optionsPerItem(input, readPiiOptions);
    return { items: input.items.map((item, index) => scanItem(item, index, optionsOf(index))) };
  },
});

function scanItem(item: Item, itemIndex: number, options: PiiOptions): Item {
  const json = cloneJson(item.json);
  const targets = collectTexts(json, { fields: options.fields, missingField: options.missingField, maxTextLength: options.maxTextLength, itemIndex, exclude: options.outputField });

  const findings: PiiFinding[] = [];
  const counts: Partial<Record<PiiType, number>> = {};
  for (const target of targets) {
    const matches = findPii(target.text, options.types, options.minConfidence);
    if (matches.length === 0) continue;

    for (const found of matches) {
      const finding: PiiFinding = { type: found.type, field: target.path, start: found.start, end: found.end, confidence: found.confidence };
      if (options.mode === 'detect' && options.includeValues) finding.value = target.text.slice(found.start, found.end);
      findings.push(finding);
      counts[found.type] = (counts[found.type] ?? 0) + 1;
    }
    if (options.mode === 'redact') target.replace(redact(target.text, matches, options));
  }

  json[options.outputField] = { mode: options.mode, count: findings.length, types: counts, findings };
  const result: Item = { json };
  if (item.binary) result.binary = item.binary;
  return result;
}
