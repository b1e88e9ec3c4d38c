/**
 * Validity checks of identifiers: check digits, reserved ranges and lengths. Each function
 * takes the identifier without separators (spaces, dashes, dots) and returns whether it
 * could have been issued.
 */

/** Checks the Luhn (mod 10) check digit used by payment card numbers. */
export function isLuhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let index = digits.length - 1; index >= 0; index--) {
    let digit = digits.charCodeAt(index) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Card network of a number from its issuer prefix and length, or null when no major
 * network issues such numbers.
 */
export function cardNetwork(digits: string): string | null {
  const length = digits.length;
  const prefix2 = Number(digits.slice(0, 2));
  const prefix3 = Number(digits.slice(0, 3));
  const prefix4 = Number(digits.slice(0, 4));
  const prefix6 = Number(digits.slice(0, 6));

  if (digits[0] === '4' && (length === 13 || length === 16 || length === 19)) return 'visa';
  if (((prefix2 >= 51 && prefix2 <= 55) || (prefix4 >= 2221 && prefix4 <= 2720)) && length === 16) return 'mastercard';
  if ((prefix2 === 34 || prefix2 === 37) && length === 15) return 'amex';
  if ((prefix4 === 6011 || prefix2 === 65 || (prefix3 >= 644 && prefix3 <= 649) || (prefix6 >= 622126 && prefix6 <= 622925)) && length >= 16 && length <= 19) return 'discover';
  if (prefix4 >= 3528 && prefix4 <= 3589 && length >= 16 && length <= 19) return 'jcb';
  if (((prefix3 >= 300 && prefix3 <= 305) || prefix2 === 36 || prefix2 === 38 || prefix2 === 39) && length >= 14 && length <= 19) return 'diners';
  if (prefix2 === 62 && length >= 16 && length <= 19) return 'unionpay';
  if ((prefix2 === 50 || (prefix2 >= 56 && prefix2 <= 69)) && length >= 12 && length <= 19) return 'maestro';
  return null;
}

/** IBAN length per country code (ISO 13616 registry as of 2024). */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28,
  IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20,
  LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28,
  NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24,
  SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

/** Checks an IBAN's country length and its ISO 7064 mod 97-10 check digits. */
export function isIbanValid(iban: string): boolean {
  const compact = iban.toUpperCase();
  const expectedLength = IBAN_LENGTHS[compact.slice(0, 2)];
  if (expectedLength === undefined || compact.length !== expectedLength) return false;
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(compact)) return false;

  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const character of rearranged) {
    const code = character.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : character;
    for (const digit of value) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

/**
 * Checks a US Social Security number against the ranges never issued: area 000, 666 and
 * 900-999, group 00, serial 0000, and two numbers printed on sample cards.
 */
export function isUsSsnValid(digits: string): boolean {
  if (!/^\d{9}$/.test(digits)) return false;
  const area = Number(digits.slice(0, 3));
  const group = Number(digits.slice(3, 5));
  const serial = Number(digits.slice(5));
  if (area === 0 || area === 666 || area >= 900) return false;
  if (group === 0 || serial === 0) return false;
  return digits !== '078051120' && digits !== '219099999';
}

const NINO_INVALID_PREFIXES = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']);

/**
 * Checks a UK National Insurance number: two prefix letters, six digits and a suffix A to D.
 * The first letter is not D, F, I, Q, U or V, the second not D, F, I, O, Q, U or V, and
 * some pairs are never allocated.
 */
export function isUkNinoValid(value: string): boolean {
  const nino = value.toUpperCase();
  if (!/^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$/.test(nino)) return false;
  return !NINO_INVALID_PREFIXES.has(nino.slice(0, 2));
}

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

/** Checks a Spanish DNI (8 digits and a letter) or NIE (X, Y or Z, 7 digits and a letter) check letter. */
export function isSpanishIdValid(value: string): boolean {
  const id = value.toUpperCase();
  const match = /^([XYZ]\d{7}|\d{8})([A-Z])$/.exec(id);
  if (!match) return false;
  const number = match[1]!.replace(/^[XYZ]/, (letter) => String('XYZ'.indexOf(letter)));
  return DNI_LETTERS[Number(number) % 23] === match[2];
}

// Values of the characters in odd positions (1st, 3rd, ...) of an Italian fiscal code, for
// 0-9 and A-Z, from the Ministry of Finance decree of 23 December 1976.
const FISCAL_CODE_ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];

/** Checks the check letter of an Italian codice fiscale (16 characters). */
export function isItalianFiscalCodeValid(value: string): boolean {
  const code = value.toUpperCase();
  if (!/^[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$/.test(code)) return false;

  let sum = 0;
  for (let index = 0; index < 15; index++) {
    const character = code[index]!;
    const isDigit = character >= '0' && character <= '9';
    const ordinal = isDigit ? character.charCodeAt(0) - 48 : character.charCodeAt(0) - 65;
    // Positions count from 1, so even array indexes are the odd positions.
    sum += index % 2 === 0 ? FISCAL_CODE_ODD[ordinal]! : ordinal;
  }
  return String.fromCharCode(65 + (sum % 26)) === code[15];
}

/** Checks a Dutch BSN (9 digits) with its weighted "eleven test". */
export function isDutchBsnValid(digits: string): boolean {
  if (!/^\d{9}$/.test(digits) || digits === '000000000') return false;
  let sum = 0;
  for (let index = 0; index < 8; index++) sum += (9 - index) * (digits.charCodeAt(index) - 48);
  sum -= digits.charCodeAt(8) - 48;
  return sum % 11 === 0;
}

const PESEL_WEIGHTS = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];

/** Checks a Polish PESEL (11 digits): its check digit and the birth date it encodes. */
export function isPolishPeselValid(digits: string): boolean {
  if (!/^\d{11}$/.test(digits)) return false;
  let sum = 0;
  for (let index = 0; index < 10; index++) sum += PESEL_WEIGHTS[index]! * (digits.charCodeAt(index) - 48);
  if ((10 - (sum % 10)) % 10 !== digits.charCodeAt(10) - 48) return false;

  // The month carries the century: +80 for the 1800s, +0 for the 1900s, +20, +40, +60 for later ones.
  const encodedMonth = Number(digits.slice(2, 4));
  const month = encodedMonth % 20;
  const century = [1900, 2000, 2100, 2200, 1800][Math.floor(encodedMonth / 20)]!;
  const year = century + Number(digits.slice(0, 2));
  const day = Number(digits.slice(4, 6));
  return isCalendarDate(year, month, day);
}

/**
 * Checks a French social security number (NIR, 15 characters): sex digit, birth month,
 * and the key, 97 minus the first 13 digits modulo 97. Corsican departments 2A and 2B
 * count as 19 and 18 for the key.
 */
export function isFrenchNirValid(value: string): boolean {
  const nir = value.toUpperCase();
  if (!/^[12]\d{2}(?:0[1-9]|1[0-2]|[2-9]\d)(?:\d{2}|2A|2B)\d{8}$/.test(nir)) return false;
  const numeric = nir.replace('2A', '19').replace('2B', '18');
  const body = BigInt(numeric.slice(0, 13));
  const key = Number(numeric.slice(13));
  return key === 97 - Number(body % 97n);
}

/**
 * Checks a German tax identification number (Steuer-IdNr, 11 digits): no leading zero, in
 * the first ten digits exactly one digit repeated two or three times, and the ISO 7064
 * mod 11,10 check digit.
 */
export function isGermanTaxIdValid(digits: string): boolean {
  if (!/^[1-9]\d{10}$/.test(digits)) return false;

  const counts = new Map<string, number>();
  for (const digit of digits.slice(0, 10)) counts.set(digit, (counts.get(digit) ?? 0) + 1);
  const repeated = [...counts.values()].filter((count) => count > 1);
  if (repeated.length !== 1 || repeated[0]! > 3) return false;

  let product = 10;
  for (let index = 0; index < 10; index++) {
    let sum = (digits.charCodeAt(index) - 48 + product) % 10;
    if (sum === 0) sum = 10;
    product = (sum * 2) % 11;
  }
  const check = (11 - product) % 10;
  return check === digits.charCodeAt(10) - 48;
}

/** Checks an IPv4 address in dotted-decimal form, rejecting leading zeros. */
export function isIpv4Valid(value: string): boolean {
  const parts = value.split('.');
  if (parts.length !== 4) return false;
  return parts.every((part) => /^(?:0|[1-9]\d{0,2})$/.test(part) && Number(part) <= 255);
}

/** Checks an IPv6 address in full, compressed (`::`) or IPv4-suffixed form. */
export function isIpv6Valid(value: string): boolean {
  const halves = value.split('::');
  if (halves.length > 2) return false;

  const groupsOf = (half: string): string[] | null => {
    if (half === '') return [];
    const groups = half.split(':');
    const last = groups[groups.length - 1]!;
    if (last.includes('.')) {
      if (!isIpv4Valid(last)) return null;
      groups.splice(groups.length - 1, 1, '0', '0');
    }
    return groups.every((group) => /^[0-9A-Fa-f]{1,4}$/.test(group)) ? groups : null;
  };

  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (head === null || tail === null) return false;
  if (halves.length === 2 && halves[0]!.includes('.')) return false;

  const count = head.length + tail.length;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** Checks a Gregorian calendar date. */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days;
}
