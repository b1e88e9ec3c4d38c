import type { StepErrorInfo } from '../executor/errors.js';

/*
 * Size checks of what passes through Temporal's workflow history. Deterministic, so both the
 * workflow bundle and the activities import it.
 */

/** Size of a value's JSON in UTF-8 bytes, as Temporal's default JSON payload converter encodes it. */
export function jsonBytes(value: unknown): number {
  const json = JSON.stringify(value) ?? '';
  let bytes = 0;
  for (let index = 0; index < json.length; index++) {
    const code = json.charCodeAt(index);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      // A surrogate pair is one code point of 4 bytes.
      bytes += 4;
      index += 1;
    } else bytes += 3;
  }
  return bytes;
}

/** Describes a value over MIFY_TEMPORAL_MAX_PAYLOAD_BYTES as a step error; `what` names it, e.g. "the output of node 'Fetch'". */
export function payloadTooLarge(what: string, maxPayloadBytes: number): StepErrorInfo {
  return {
    message: `${what} is larger than ${maxPayloadBytes} bytes of JSON, the most the Temporal run back end passes through workflow history (MIFY_TEMPORAL_MAX_PAYLOAD_BYTES); pass fewer or smaller items, or run the graph on the embedded back end`,
    code: 'payload_too_large',
  };
}
