// Reads whole-number benchmark settings from environment variables.

/**
 * Returns `{ key: number }` for each `{ key: { variable, fallback, min, max, unit } }`,
 * taking the value of the environment variable when it is set. Throws when a
 * value is not a whole number in [min, max], naming the variable and the range.
 */
export function readSettings(specs, env = process.env) {
  const settings = {};
  for (const [key, spec] of Object.entries(specs)) {
    const raw = env[spec.variable];
    if (raw === undefined || raw === '') {
      settings[key] = spec.fallback;
      continue;
    }

    const value = Number(raw);
    if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
      throw new Error(`${spec.variable}=${JSON.stringify(raw)} is invalid: expected a whole number of ${spec.unit} from ${spec.min} to ${spec.max}.`);
    }
    settings[key] = value;
  }
  return settings;
}
