import { describeValue, getPath, ItemError, Parameters, parametersPerItem, parsePath, setPath, type ExecuteContext, type ExecuteInput, type Item } from '../shared.js';
import { base64Decode, base64Encode, hexDecode, hexEncode, utf8Decode, utf8Encode } from '../lib/bytes.js';
import { hash, hmac, HASH_ALGORITHMS, type HashAlgorithm } from '../lib/sha.js';

const OPERATIONS = ['hash', 'hmac', 'encode', 'decode'] as const;
type Operation = (typeof OPERATIONS)[number];
const BYTE_ENCODINGS = ['utf8', 'base64', 'base64url', 'hex'] as const;
type ByteEncoding = (typeof BYTE_ENCODINGS)[number];

function toBytes(text: string, encoding: ByteEncoding): Uint8Array | null {
  if (encoding === 'utf8') return utf8Encode(text);
  if (encoding === 'hex') return hexDecode(text);
  return base64Decode(text);
}

/** Default output encoding: hex digests, base64 from encode, UTF-8 text from decode. */
function defaultOutputEncoding(operation: Operation): ByteEncoding {
  if (operation === 'decode') return 'utf8';
  if (operation === 'encode') return 'base64';
  return 'hex';
}

/** Text of a field value: strings as they are, other JSON values as their JSON text. */
function fieldText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function fromBytes(bytes: Uint8Array, encoding: ByteEncoding): string {
  if (encoding === 'utf8') return utf8Decode(bytes);
  if (encoding === 'hex') return hexEncode(bytes);
  return base64Encode(bytes, encoding === 'base64url');
}

/**
 * `mify.data.crypto`: hashes (SHA-1, SHA-256, SHA-512), HMACs and converts a field between
 * UTF-8, base64 and hex, per item.
 */
export const crypto = {
  execute(ctx: ExecuteContext, input: ExecuteInput) {
    const perItem = parametersPerItem(input);
    const items: Item[] = input.items.map((item, itemIndex) => {
      const params: Parameters = new Parameters(perItem[itemIndex]!, ctx.node.name);
      const operation = params.string<Operation>('operation', { enum: OPERATIONS });
      const fieldName = params.string('field');
      const field = parsePath(fieldName);
      if (field === null) params.fail('field', `is ${describeValue(fieldName)}, which is not a field path`, 'Use a dot path such as password or body.');
      const defaultOutput = operation === 'hash' || operation === 'hmac' ? operation : fieldName;
      const outputText = params.string('outputField', { default: defaultOutput });
      const output = parsePath(outputText);
      if (output === null) params.fail('outputField', `is ${describeValue(outputText)}, which is not a field path`, 'Use a field name such as digest.');
      const inputEncoding = params.string<ByteEncoding>('inputEncoding', { default: operation === 'decode' ? 'base64' : 'utf8', enum: BYTE_ENCODINGS });
      const outputEncoding = params.string<ByteEncoding>('outputEncoding', { default: defaultOutputEncoding(operation), enum: BYTE_ENCODINGS });

      const value = getPath(item.json, field);
      if (value === undefined || value === null) {
        throw new ItemError(`Node '${ctx.node.name}': item ${itemIndex} has no value in field "${fieldName}". Check the field path, or filter out such items first.`);
      }
      const text = fieldText(value);
      const bytes = toBytes(text, inputEncoding);
      if (bytes === null) {
        throw new ItemError(`Node '${ctx.node.name}': item ${itemIndex} has ${describeValue(text)} in field "${fieldName}", which is not valid ${inputEncoding}. Fix the value, or set "inputEncoding" to the encoding it uses.`);
      }

      let result: Uint8Array;
      if (operation === 'hash' || operation === 'hmac') {
        const algorithm = params.string<HashAlgorithm>('algorithm', { default: 'sha256', enum: HASH_ALGORITHMS });
        if (operation === 'hash') result = hash(algorithm, bytes);
        else {
          const keyEncoding = params.string<ByteEncoding>('keyEncoding', { default: 'utf8', enum: BYTE_ENCODINGS });
          const keyText = params.string('key');
          const key = toBytes(keyText, keyEncoding);
          if (key === null) params.fail('key', `is not valid ${keyEncoding}`, 'Fix the key, or set "keyEncoding" to the encoding it uses.');
          result = hmac(algorithm, key, bytes);
        }
      } else result = bytes;

      const json = { ...item.json };
      setPath(json, output, fromBytes(result, outputEncoding));
      return item.binary === undefined ? { json } : { json, binary: item.binary };
    });
    return { items };
  },
};
