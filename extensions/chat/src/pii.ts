/**
 * PII redaction of chat messages with the detector rules of mify.safety, bundled from its
 * source so both extensions find the same personal data.
 */
import { findPii } from '../../safety/src/pii/detectors.js';
import { redact } from '../../safety/src/pii/redact.js';
import { PII_TYPES } from '../../safety/src/pii/types.js';

/** Confidence from which a span counts as personal data, as the PII detector node defaults to. */
const MIN_CONFIDENCE = 0.5;

/** Replaces personal data in `text` with type labels such as `[EMAIL]`. */
export function redactPii(text: string): string {
  return redact(text, findPii(text, PII_TYPES, MIN_CONFIDENCE), { redaction: 'label', maskCharacter: '*', keepLast: 0 });
}
