/** Kinds of personal data the PII detector finds. */
export const PII_TYPES = [
  'email',
  'phone',
  'payment_card',
  'iban',
  'us_ssn',
  'uk_nino',
  'es_dni',
  'it_fiscal_code',
  'nl_bsn',
  'pl_pesel',
  'fr_nir',
  'de_tax_id',
  'ip_address',
] as const;

export type PiiType = (typeof PII_TYPES)[number];

/** A piece of personal data inside one string. */
export interface PiiMatch {
  type: PiiType;
  /** Offset of the first UTF-16 code unit. */
  start: number;
  /** Offset after the last UTF-16 code unit. */
  end: number;
  /** Estimate from 0 to 1 that the span is the given type, from its format, checks and nearby words. */
  confidence: number;
}

/** Redaction label of each type, such as `[EMAIL]`. */
export function labelOf(type: PiiType): string {
  return `[${type.toUpperCase()}]`;
}
