/** One problem found in a manifest. */
export interface ManifestProblem {
  /** JSON path of the rejected value, such as `$.contributes.nodes[0].type`. */
  path: string;
  /** Description of the problem with, where it helps, the expected form and the rejected value. */
  message: string;
  /** Short description of the expected form, such as `a semver range such as ^1.0.0`. */
  expected?: string;
}

/**
 * Formats a path as a JSON path: `$`, `.key` for identifier-like keys, `["a key"]` for
 * others and `[0]` for array indexes.
 *
 * @example
 * formatJsonPath(['contributes', 'nodes', 0, 'type']); // '$.contributes.nodes[0].type'
 */
export function formatJsonPath(path: readonly PropertyKey[]): string {
  let result = '$';
  for (const key of path) {
    if (typeof key === 'number') result += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) result += `.${key}`;
    else result += `[${JSON.stringify(String(key))}]`;
  }
  return result;
}
