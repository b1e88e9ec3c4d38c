import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import type { NodeTypeInfo } from '../runtime/types.js';
import { createDraft07Validator, createDraft2020Validator, lazily } from '../infra/json-schema-validators.js';


/** One parameter value that violates the node type's parameter JSON Schema. */
export interface ParameterIssue {
  /** Path inside `parameters`, such as `['headers', 0, 'name']`; empty for the object itself. */
  path: Array<string | number>;
  /** Top-level parameter the issue belongs to, when there is one. */
  parameter: string | null;
  message: string;
}

/**
 * Checks whether a parameter value is an expression that the executor evaluates per
 * item: a string containing `{{`, or n8n's form starting with `=`.
 */
export function isExpression(value: unknown): value is string {
  return typeof value === 'string' && (value.includes('{{') || value.startsWith('='));
}

interface CompiledSchema {
  /** The schema object the entry was compiled from; a new object (an upgraded extension) forces a recompile. */
  source: Record<string, unknown>;
  validate: ValidateFunction | null;
  compileError: string | null;
}

/**
 * Checks node parameters against the JSON Schema declared by the node type,
 * with the formats of ajv-formats. A schema whose `$schema` names draft-07 is
 * read as draft-07; any other is read as draft 2020-12, the dialect of the
 * manifest schema. Schemas are compiled once per `type@typeVersion` and
 * reused until the type's schema object changes.
 */
export class ParameterValidator {
  // Created on first use; json-schema-validators.ts sets strict: false, because manifests may
  // carry annotations ajv does not know, such as `x-mify-control` or studio display hints.
  private readonly draft2020 = lazily((): Ajv2020 => createDraft2020Validator({ formats: true }));
  private readonly draft07 = lazily((): Ajv => createDraft07Validator({ formats: true }));
  private readonly compiled = new Map<string, CompiledSchema>();

  /**
   * Returns every violation in `parameters`. An expression string is not
   * checked, because its value and type are known only when the node runs.
   * For the same reason a `oneOf`/`anyOf`/`not`/`if` whose value contains an
   * expression anywhere inside is not reported.
   */
  check(info: NodeTypeInfo, parameters: Record<string, unknown>): ParameterIssue[] {
    const entry = this.compile(info);
    if (entry.compileError !== null) {
      return [{ path: [], parameter: null, message: `The parameter schema of node type '${info.type}' version ${info.typeVersion} (extension '${info.extensionId}') cannot be compiled: ${entry.compileError}. The extension's author must fix its manifest.` }];
    }

    if (entry.validate!(parameters)) return [];
    return (entry.validate!.errors ?? [])
      .map((error) => toIssue(error, parameters))
      .filter((issue): issue is ParameterIssue => issue !== null);
  }

  private compile(info: NodeTypeInfo): CompiledSchema {
    const key = `${info.type}@${info.typeVersion}`;
    const cached = this.compiled.get(key);
    if (cached && cached.source === info.parameters) return cached;

    let entry: CompiledSchema;
    try {
      const isDraft07 = typeof info.parameters.$schema === 'string' && info.parameters.$schema.includes('draft-07');
      const ajv = isDraft07 ? this.draft07() : this.draft2020();
      entry = { source: info.parameters, validate: ajv.compile(prepareSchema(info.parameters, isDraft07)), compileError: null };
    } catch (error) {
      entry = { source: info.parameters, validate: null, compileError: (error as Error).message };
    }
    this.compiled.set(key, entry);
    return entry;
  }
}

/**
 * Drops a top-level `$id`, because ajv keeps every compiled schema by id and
 * rejects a second schema with the same id, which would break recompiling
 * after an extension upgrade. Also drops a `$schema` other than draft-07,
 * which the draft 2020-12 instance would reject as an unknown meta-schema.
 */
function prepareSchema(schema: Record<string, unknown>, isDraft07: boolean): Record<string, unknown> {
  const { $id: _id, $schema, ...rest } = schema;
  return isDraft07 ? { $schema, ...rest } : rest;
}

/** Schema keywords whose branches may have failed only because a value inside is still an expression. */
const COMBINATOR_PATH = /(^|\/)(oneOf|anyOf|not|if|then|else)(\/|$)/;

function toIssue(error: ErrorObject, parameters: Record<string, unknown>): ParameterIssue | null {
  const path = parsePointer(error.instancePath);
  const value = valueAt(parameters, path);
  if (isExpression(value)) return null;
  if (COMBINATOR_PATH.test(error.schemaPath.replace(/^#/, '')) && containsExpression(value)) return null;

  // `required` and `additionalProperties` errors sit on the parent object; point at the property itself.
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  let property: string | undefined;
  if (error.keyword === 'required') property = params.missingProperty;
  if (error.keyword === 'additionalProperties') property = params.additionalProperty;
  const fullPath = property === undefined ? path : [...path, property];

  const name = fullPath.length > 0 ? String(fullPath[0]) : null;
  const where = fullPath.length > 0 ? `Parameter '${fullPath.join('.')}'` : 'The parameters';
  return { path: fullPath, parameter: name, message: `${where} ${describe(error, parameters, path)}` };
}

function describe(error: ErrorObject, parameters: Record<string, unknown>, path: Array<string | number>): string {
  if (error.keyword === 'required') return 'is required but missing';
  if (error.keyword === 'additionalProperties') return 'is not defined by this node type; remove it';

  const value = valueAt(parameters, path);
  const allowed = error.keyword === 'enum' ? ` (allowed: ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')})` : '';
  return `${error.message ?? 'is invalid'}${allowed}; got ${preview(value)}`;
}

function preview(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Splits a JSON Pointer (RFC 6901) into keys, with array indexes as numbers. */
function parsePointer(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((segment) => (/^(0|[1-9]\d*)$/.test(segment) ? Number(segment) : segment));
}

function containsExpression(value: unknown): boolean {
  if (isExpression(value)) return true;
  if (Array.isArray(value)) return value.some(containsExpression);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(containsExpression);
  return false;
}

function valueAt(root: unknown, path: Array<string | number>): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}
