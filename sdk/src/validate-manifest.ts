import type { z } from 'zod';

import { formatJsonPath, type ManifestProblem } from './json-path.js';
import { manifestSchema, type ExtensionManifest } from './manifest.js';
import { checkCrossFieldRules } from './manifest-rules.js';

/** Result of {@link validateManifest}. */
export type ValidateManifestResult = { ok: true; manifest: ExtensionManifest } | { ok: false; errors: ManifestProblem[] };

/**
 * Validates a parsed `mify.extension.json` and applies its defaults. Every problem is
 * reported at once: schema errors first, in document order, then cross-field rules
 * (node types prefixed with the extension id, unique node types and route paths, entry file
 * matching the runtime).
 *
 * @example
 * const result = validateManifest(JSON.parse(fs.readFileSync('mify.extension.json', 'utf8')));
 * if (!result.ok) {
 *   for (const error of result.errors) console.error(`${error.path}: ${error.message}`);
 *   // $.engines.mify: expected a semver range such as ^1.0.0, got "one"
 * }
 */
export function validateManifest(input: unknown): ValidateManifestResult {
  const parsed = manifestSchema.safeParse(input, { reportInput: true });
  const errors = parsed.success ? [] : parsed.error.issues.flatMap((issue) => describeIssue(issue, []));

  errors.push(...checkCrossFieldRules(input));

  if (errors.length > 0 || !parsed.success) return { ok: false, errors: withoutDuplicates(errors) };
  return { ok: true, manifest: parsed.data };
}

type Issue = z.core.$ZodIssue;

function describeIssue(issue: Issue, basePath: readonly PropertyKey[]): ManifestProblem[] {
  const fullPath = [...basePath, ...issue.path];
  const path = formatJsonPath(fullPath);
  const input = (issue as { input?: unknown }).input;

  switch (issue.code) {
    case 'invalid_type': {
      const expected = describeType(issue.expected);
      if (input === undefined) return [describeMissing(fullPath, expected)];
      return [{ path, message: `expected ${expected}, got ${showValue(input)}`, expected }];
    }

    case 'invalid_value': {
      if (input === undefined) return [describeMissing(fullPath, `one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`)];
      const expected = issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
      return [{ path, message: `expected ${expected}, got ${showValue(input)}`, expected }];
    }

    case 'too_small':
    case 'too_big':
      return [describeSizeIssue(issue, fullPath, input)];

    case 'unrecognized_keys':
      return issue.keys.map((key) => describeUnknownKey(fullPath, key));

    case 'invalid_format': {
      const expected = issue.format === 'url' ? 'an http or https URL such as https://example.com' : `a valid ${issue.format}`;
      return [{ path, message: `expected ${expected}, got ${showValue(input)}`, expected }];
    }

    case 'invalid_union':
      return describeUnionIssue(issue, fullPath, input);

    case 'custom': {
      const expected = issue.params?.expected as string | undefined;
      const message = (issue.params?.message as string | undefined) ?? (expected ? `expected ${expected}, got ${showValue(input)}` : issue.message);
      return [expected ? { path, message, expected } : { path, message }];
    }

    default:
      return [{ path, message: issue.message }];
  }
}

function describeMissing(fullPath: readonly PropertyKey[], expected: string): ManifestProblem {
  const key = String(fullPath.at(-1));
  return { path: formatJsonPath(fullPath), message: `required field ${JSON.stringify(key)} is missing, expected ${expected}`, expected };
}

function describeType(type: string): string {
  const names: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    int: 'an integer',
    boolean: 'true or false',
    array: 'an array',
    object: 'an object',
  };
  return names[type] ?? type;
}

function describeSizeIssue(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, fullPath: readonly PropertyKey[], input: unknown): ManifestProblem {
  const path = formatJsonPath(fullPath);
  const isSmall = issue.code === 'too_small';
  const bound = isSmall ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum;
  const relation = isSmall ? 'at least' : 'at most';

  if (issue.origin === 'string' && isSmall && Number(bound) === 1) {
    return { path, message: `expected a non-empty string, got ${showValue(input)}`, expected: 'a non-empty string' };
  }
  if (issue.origin === 'string') {
    const expected = `a string of ${relation} ${bound} characters`;
    return { path, message: `expected ${expected}, got ${showValue(input)}`, expected };
  }
  if (issue.origin === 'array') {
    const expected = `${relation} ${bound} ${Number(bound) === 1 ? 'entry' : 'entries'}`;
    const count = Array.isArray(input) ? input.length : '?';
    return { path, message: `expected ${expected}, got ${count}`, expected };
  }
  const expected = describeNumberRange(fullPath) ?? `a number ${relation} ${bound}`;
  return { path, message: `expected ${expected}, got ${showValue(input)}`, expected };
}

// Describes both bounds of the number schema at a path, such as "an integer from 1 to 512".
function describeNumberRange(fullPath: readonly PropertyKey[]): string | undefined {
  const schema = schemaAt(fullPath) as { minValue?: number | null; maxValue?: number | null; isInt?: boolean } | undefined;
  if (!schema || typeof schema.minValue !== 'number') return undefined;

  const noun = schema.isInt ? 'an integer' : 'a number';
  const hasMaximum = typeof schema.maxValue === 'number' && Number.isFinite(schema.maxValue) && schema.maxValue < Number.MAX_SAFE_INTEGER;
  return hasMaximum ? `${noun} from ${schema.minValue} to ${schema.maxValue}` : `${noun} of at least ${schema.minValue}`;
}

function describeUnknownKey(objectPath: readonly PropertyKey[], key: string): ManifestProblem {
  const allowed = allowedKeysAt(objectPath);
  const path = formatJsonPath([...objectPath, key]);
  if (!allowed) return { path, message: `unknown field ${JSON.stringify(key)}, remove it` };

  const suggestion = closestKey(key, allowed);
  const hint = suggestion ? `did you mean ${JSON.stringify(suggestion)}? ` : '';
  const expected = `one of ${allowed.join(', ')}`;
  return { path, message: `unknown field ${JSON.stringify(key)}, ${hint}expected ${expected}`, expected };
}

// A union fails as a whole. When exactly one option has the input's type, its issues are
// more precise than "none of the options matched", so report those.
function describeUnionIssue(issue: z.core.$ZodIssueInvalidUnion, fullPath: readonly PropertyKey[], input: unknown): ManifestProblem[] {
  const matchingType = issue.errors.filter((optionIssues) => !optionIssues.some((inner) => inner.code === 'invalid_type' && inner.path.length === 0));
  if (matchingType.length === 1) return matchingType[0]!.flatMap((inner) => describeIssue(inner, fullPath));

  const expectedTypes = issue.errors
    .flatMap((optionIssues) => optionIssues.filter((inner) => inner.code === 'invalid_type' && inner.path.length === 0))
    .map((inner) => describeType((inner as z.core.$ZodIssueInvalidType).expected));
  const expected = expectedTypes.length > 0 ? [...new Set(expectedTypes)].join(' or ') : 'one of the allowed forms';
  return [{ path: formatJsonPath(fullPath), message: `expected ${expected}, got ${showValue(input)}`, expected }];
}

interface SchemaDefinition {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
}

function definitionOf(schema: z.ZodType): SchemaDefinition {
  return (schema as unknown as { _zod: { def: SchemaDefinition } })._zod.def;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const definition = definitionOf(current);
    if (definition.innerType) current = definition.innerType;
    else if (definition.type === 'pipe' && definition.in) current = definition.in;
    else if (definition.type === 'union' && definition.options) {
      const objectOption = definition.options.find((option) => definitionOf(unwrap(option)).type === 'object');
      if (!objectOption) return current;
      current = objectOption;
    } else return current;
  }
}

// Walks the manifest schema along a path and returns the schema there, without wrappers.
function schemaAt(path: readonly PropertyKey[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = manifestSchema;
  for (const key of path) {
    const definition: SchemaDefinition = definitionOf(unwrap(current));
    if (definition.type === 'object' && typeof key === 'string') current = definition.shape?.[key];
    else if (definition.type === 'array' && typeof key === 'number') current = definition.element;
    else return undefined;
    if (!current) return undefined;
  }
  return unwrap(current);
}

function allowedKeysAt(path: readonly PropertyKey[]): string[] | undefined {
  const schema = schemaAt(path);
  const shape = schema ? definitionOf(schema).shape : undefined;
  return shape ? Object.keys(shape) : undefined;
}

function closestKey(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = candidate.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // Two edits cover a swapped pair of letters; short keys need proportionally closer matches.
  return bestDistance <= 2 && bestDistance < key.length / 2 ? best : undefined;
}

// Levenshtein distance with one rolling row.
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** Renders a rejected value for a message, shortened to about 60 characters. */
function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';

  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function withoutDuplicates(errors: ManifestProblem[]): ManifestProblem[] {
  const seen = new Set<string>();
  return errors.filter((error) => {
    const key = `${error.path}\n${error.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
