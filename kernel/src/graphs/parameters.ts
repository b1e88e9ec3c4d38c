import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import formatsPluginModule from 'ajv-formats';
import type { NodeTypeInfo } from '../runtime/types.js';

// ajv-formats is CommonJS; under NodeNext its default import is `module.exports`,
// which also carries the plugin as `.default`.
const addFormats = ((formatsPluginModule as unknown as { default?: typeof formatsPluginModule }).default ?? formatsPluginModule) as typeof formatsPluginModule;

/** One parameter value that violates the node type's parameter JSON Schema. */
export interface ParameterIssue {
  /** Path inside `parameters`, such as `['headers', 0, 'name']`; empty for the object itself. */
  path: Array<string | number>;
  /** Top-level parameter the issue belongs to, when there is one. */
  parameter: string | null;
  message: string;
}

/**
 * Whether a parameter value is an expression that the executor evaluates per
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
 * Checks node parameters against the JSON Schema (draft 2020-12, with the
 * ajv-formats formats) declared by the node type. Schemas are compiled once
 * per `type@typeVersion` and reused until the type's schema object changes.
 */
export class ParameterValidator {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, CompiledSchema>();

  constructor() {
    // strict: false because manifests may carry annotations ajv does not know,
    // such as `x-mify-control` or studio display hints.
    this.ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(this.ajv);
  }

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
      entry = { source: info.parameters, validate: this.ajv.compile(stripSchemaId(info.parameters)), compileError: null };
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
 * after an extension upgrade.
 */
function stripSchemaId(schema: Record<string, unknown>): Record<string, unknown> {
  if (!('$id' in schema)) return schema;
  const { $id: _id, ...rest } = schema;
  return rest;
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
  const property = error.keyword === 'required' ? params.missingProperty : error.keyword === 'additionalProperties' ? params.additionalProperty : undefined;
  const fullPath = property === undefined ? path : [...path, property];

  const name = fullPath.length > 0 ? String(fullPath[0]) : null;
  const where = fullPath.length > 0 ? `Parameter '${fullPath.join('.')}'` : 'The parameters';
  return { path: fullPath, parameter: name, message: `${where} ${describe(error, parameters, path)}` };
}

function describe(error: ErrorObject, parameters: Record<string, unknown>, path: Array<string | number>): string {
  if (error.keyword === 'required') return 'is required but missing';
  if (error.keyword === 'additionalProperties') return 'is not a parameter of this node type';

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
