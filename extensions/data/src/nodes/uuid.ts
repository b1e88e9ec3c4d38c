import { describeValue, Parameters, parsePath, setPath, type ExecuteContext, type ExecuteInput, type Item } from '../shared.js';

/**
 * Returns a version 4 UUID (RFC 9562).
 *
 * TODO: the isolate has neither Web Crypto nor node:crypto, so the random bits come from
 * Math.random, which is not a cryptographically secure generator. Such ids are unique in
 * practice but guessable: do not use them as secrets or tokens until the host API offers
 * secure random bytes.
 */
export function randomUuid(): string {
  const bytes = new Uint8Array(16);
  for (let index = 0; index < 16; index++) bytes[index] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `mify.data.uuid`: writes a random UUID into each item. */
export const uuid = {
  execute(ctx: ExecuteContext, input: ExecuteInput) {
    const params: Parameters = new Parameters(input.parameters ?? {}, ctx.node.name);
    const outputText = params.string('outputField', { default: 'id' });
    const output = parsePath(outputText);
    if (output === null) params.fail('outputField', `is ${describeValue(outputText)}, which is not a field path`, 'Use a field name such as id.');
    const items: Item[] = input.items.map((item) => {
      const json = { ...item.json };
      setPath(json, output, randomUuid());
      return item.binary === undefined ? { json } : { json, binary: item.binary };
    });
    return { items };
  },
};
