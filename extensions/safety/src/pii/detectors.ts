import {
  cardNetwork,
  IBAN_LENGTHS,
  isDutchBsnValid,
  isFrenchNirValid,
  isGermanTaxIdValid,
  isIbanValid,
  isIpv4Valid,
  isIpv6Valid,
  isItalianFiscalCodeValid,
  isLuhnValid,
  isPolishPeselValid,
  isSpanishIdValid,
  isUkNinoValid,
  isUsSsnValid,
} from './checksums.js';
import type { PiiMatch, PiiType } from './types.js';

/**
 * Candidate finders, one per PII type. Each scans a string with a permissive pattern, then
 * keeps the candidates that pass the type's checks and gives them a confidence. Nearby
 * words ("phone", "SSN", "BSN", ...) raise the confidence of formats that are ambiguous on
 * their own, such as bare runs of digits.
 */

/** Characters before a candidate searched for context words. */
const CONTEXT_BEFORE = 40;
/** Characters after a candidate searched for context words. */
const CONTEXT_AFTER = 20;

function hasContext(text: string, start: number, end: number, words: RegExp): boolean {
  const window = text.slice(Math.max(0, start - CONTEXT_BEFORE), start) + ' ' + text.slice(end, end + CONTEXT_AFTER);
  return words.test(window);
}

function digitsOf(value: string): string {
  return value.replace(/\D/g, '');
}

function match(type: PiiType, start: number, end: number, confidence: number): PiiMatch {
  return { type, start, end, confidence: Math.round(Math.min(1, confidence) * 100) / 100 };
}

// File extensions that follow `@2x`-style image names and npm scopes, not mail domains.
const NOT_MAIL_TLDS = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'ico', 'bmp', 'js', 'mjs', 'ts', 'css', 'json', 'map', 'md', 'txt', 'html', 'zip', 'gz']);

function findEmails(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  const pattern = /(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![\w-]|\.[A-Za-z0-9])/g;
  for (const candidate of text.matchAll(pattern)) {
    const value = candidate[0];
    if (value.includes('..')) continue;
    if (NOT_MAIL_TLDS.has(candidate[1]!.toLowerCase())) continue;
    found.push(match('email', candidate.index, candidate.index + value.length, 0.95));
  }
  return found;
}

const PHONE_CONTEXT = /\b(?:phone|tel|telephone|mobile|mob|cell|call|fax|whatsapp|signal|sms|text me|reach (?:me|us)|contact|dial|ring|hotline|landline|number)\b|☎|📞/i;

// Digit groups separated by one space, dot or dash, optionally led by `+`, with an optional
// parenthesised area code.
const PHONE_CANDIDATE = /(?<![\w+\-./:,])(?:\+ ?|\b|(?=\())(?:\(\d{1,5}\) ?|\d{1,5})(?:[ .-]?(?:\(\d{1,5}\)|\d{1,5})){1,7}(?![\w/:]|[.,-]\d)/g;

const DATE_LIKE = /^(?:\d{4}[-./ ]\d{1,2}[-./ ]\d{1,2}|\d{1,2}[-./ ]\d{1,2}[-./ ]\d{2,4})$/;

function findPhones(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  for (const candidate of text.matchAll(PHONE_CANDIDATE)) {
    const value = candidate[0];
    const start = candidate.index;
    const end = start + value.length;
    const confidence = phoneConfidence(value, hasContext(text, start, end, PHONE_CONTEXT));
    if (confidence > 0) found.push(match('phone', start, end, confidence));
  }
  return found;
}

/** Scores one phone candidate; 0 means not a phone number. */
function phoneConfidence(value: string, context: boolean): number {
  if (DATE_LIKE.test(value)) return 0;
  const digits = digitsOf(value);
  const separated = /[ .()-]/.test(value);
  const boost = context ? 0.3 : 0;

  if (value.startsWith('+')) {
    if (digits.length < 8 || digits.length > 15 || digits.startsWith('0')) return 0;
    if (digits.startsWith('1') && !isNanp(digits.slice(1))) return 0;
    return 0.9 + (context ? 0.05 : 0);
  }

  if (digits.startsWith('00') && digits.length >= 10 && digits.length <= 17 && digits[2] !== '0') return 0.6 + boost;

  // North American numbering: NXX NXX XXXX, optionally led by 1.
  const national = digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
  if (national.length === 10 && isNanp(national)) {
    const grouped = /^(?:1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}$/.test(value);
    if (grouped) return 0.8 + boost / 2;
  }

  // A trunk prefix 0 with 9 to 11 digits is the national form in most of Europe and Asia.
  if (digits.startsWith('0') && !digits.startsWith('00') && digits.length >= 10 && digits.length <= 12) {
    return separated ? 0.7 + boost / 2 : 0.4 + boost;
  }

  if (digits.length >= 9 && digits.length <= 12) {
    const groups = value.split(/[ .()-]+/).filter(Boolean);
    const regular = groups.length >= 3 && groups.every((group) => group.length >= 2 && group.length <= 4);
    if (regular) return 0.45 + boost;
    return context ? 0.55 : 0;
  }
  return 0;
}

function isNanp(tenDigits: string): boolean {
  return tenDigits.length === 10 && /^[2-9]\d{2}[2-9]\d{6}$/.test(tenDigits) && !/^\d11/.test(tenDigits.slice(3));
}

const CARD_CONTEXT = /\b(?:card|credit|debit|visa|master ?card|amex|american express|discover|maestro|cc|pan|cvv|expir\w*)\b/i;

function findPaymentCards(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  const pattern = /(?<![\w.-])\d(?:[ -]?\d){11,18}(?![\w]|[.-]\d)/g;
  for (const candidate of text.matchAll(pattern)) {
    const value = candidate[0];
    const separators = new Set(value.replace(/\d/g, ''));
    if (separators.size > 1) continue;

    const digits = digitsOf(value);
    if (digits.length < 12 || digits.length > 19 || !isLuhnValid(digits)) continue;
    if (/^(\d)\1+$/.test(digits)) continue;

    const start = candidate.index;
    const end = start + value.length;
    const context = hasContext(text, start, end, CARD_CONTEXT);
    const network = cardNetwork(digits);
    let confidence = context ? 0.6 : 0.3;
    if (network) confidence = context ? 0.98 : 0.9;
    found.push(match('payment_card', start, end, confidence));
  }
  return found;
}

function findIbans(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  const pattern = /(?<![A-Za-z0-9])([A-Za-z]{2})(\d{2})(?: ?[A-Za-z0-9]){8,30}/g;
  for (const candidate of text.matchAll(pattern)) {
    const country = candidate[1]!.toUpperCase();
    const length = IBAN_LENGTHS[country];
    if (length === undefined) continue;

    // The pattern may run into the next word ("... 00 EUR"), so take exactly the country's
    // length of characters and require a word boundary after them.
    let ibanCharacters = 0;
    let end = candidate.index;
    const value = candidate[0];
    for (let offset = 0; offset < value.length && ibanCharacters < length; offset++) {
      if (value[offset] !== ' ') ibanCharacters++;
      end = candidate.index + offset + 1;
    }
    if (ibanCharacters !== length || /[A-Za-z0-9]/.test(text[end] ?? '')) continue;

    const compact = text.slice(candidate.index, end).replace(/ /g, '');
    if (!isIbanValid(compact)) continue;
    found.push(match('iban', candidate.index, end, 0.98));
    pattern.lastIndex = end;
  }
  return found;
}

const SSN_CONTEXT = /\b(?:ssn|ssns|social security|social sec|ss#|ss no|taxpayer|itin)\b/i;

function findUsSsns(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  const pattern = /(?<![\w.-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\w]|[.-]\d)/g;
  for (const candidate of text.matchAll(pattern)) {
    const digits = candidate[1]! + candidate[3]! + candidate[4]!;
    if (!isUsSsnValid(digits)) continue;

    const start = candidate.index;
    const end = start + candidate[0].length;
    const context = hasContext(text, start, end, SSN_CONTEXT);
    // Dashes are the printed SSN form; spaces or no separator are also common for other numbers.
    const separatorConfidence: Record<string, number> = { '-': 0.85, ' ': 0.6, '': 0.3 };
    let confidence = separatorConfidence[candidate[2]!]!;
    if (context) confidence += 0.3;
    found.push(match('us_ssn', start, end, confidence));
  }
  return found;
}

function findUkNinos(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  const pattern = /(?<![A-Za-z0-9])([A-Z]{2}) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-D])(?![A-Za-z0-9])/g;
  for (const candidate of text.matchAll(pattern)) {
    const compact = candidate[0].replace(/ /g, '');
    if (!isUkNinoValid(compact)) continue;
    found.push(match('uk_nino', candidate.index, candidate.index + candidate[0].length, 0.9));
  }
  return found;
}

function findSpanishIds(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  const pattern = /(?<![A-Za-z0-9-])([XYZ]-?\d{7}|\d{8})[- ]?([A-Z])(?![A-Za-z0-9])/g;
  for (const candidate of text.matchAll(pattern)) {
    const compact = candidate[0].replace(/[- ]/g, '');
    if (!isSpanishIdValid(compact)) continue;
    found.push(match('es_dni', candidate.index, candidate.index + candidate[0].length, 0.9));
  }
  return found;
}

function findItalianFiscalCodes(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  const pattern = /(?<![A-Za-z0-9])[A-Za-z]{6}[0-9LMNPQRSTUV]{2}[A-Za-z][0-9LMNPQRSTUV]{2}[A-Za-z][0-9LMNPQRSTUV]{3}[A-Za-z](?![A-Za-z0-9])/g;
  for (const candidate of text.matchAll(pattern)) {
    if (!isItalianFiscalCodeValid(candidate[0])) continue;
    found.push(match('it_fiscal_code', candidate.index, candidate.index + candidate[0].length, 0.95));
  }
  return found;
}

const BSN_CONTEXT = /\b(?:bsn|burgerservicenummer|burger service ?nummer|citizen service number|sofi ?nummer|sofinummer)\b/i;

function findDutchBsns(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  const pattern = /(?<![\w.-])\d{4}\.?\d{2}\.?\d{3}(?![\w]|[.-]\d)/g;
  for (const candidate of text.matchAll(pattern)) {
    if (!isDutchBsnValid(digitsOf(candidate[0]))) continue;
    const start = candidate.index;
    const end = start + candidate[0].length;
    found.push(match('nl_bsn', start, end, hasContext(text, start, end, BSN_CONTEXT) ? 0.9 : 0.3));
  }
  return found;
}

const PESEL_CONTEXT = /\bpesel\b/i;
const DE_TAX_CONTEXT = /\b(?:steuer-?id\w*|steuer-?identifikationsnummer|steueridentifikationsnummer|idnr|tax id(?:entification)?(?: number)?|tin)\b/i;

function findElevenDigitIds(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  const pattern = /(?<![\w.-])\d{2} ?\d{3} ?\d{3} ?\d{3}(?![\w]|[.-]\d)|(?<![\w.-])\d{11}(?![\w]|[.-]\d)/g;
  for (const candidate of text.matchAll(pattern)) {
    const digits = digitsOf(candidate[0]);
    const start = candidate.index;
    const end = start + candidate[0].length;
    if (isPolishPeselValid(digits)) {
      found.push(match('pl_pesel', start, end, hasContext(text, start, end, PESEL_CONTEXT) ? 0.95 : 0.45));
    }
    if (isGermanTaxIdValid(digits)) {
      found.push(match('de_tax_id', start, end, hasContext(text, start, end, DE_TAX_CONTEXT) ? 0.9 : 0.4));
    }
  }
  return found;
}

function findFrenchNirs(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  const pattern = /(?<![\w.-])[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}(?![\w]|[.-]\d)/gi;
  for (const candidate of text.matchAll(pattern)) {
    if (!isFrenchNirValid(candidate[0].replace(/ /g, ''))) continue;
    found.push(match('fr_nir', candidate.index, candidate.index + candidate[0].length, 0.9));
  }
  return found;
}

const VERSION_CONTEXT = /(?:\bv|\bversion|\bver\.?|\brelease|\bbuild|\bsdk|\bnode|\bpython|@)\s*$/i;

function findIpAddresses(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  const v4 = /(?<![\w.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\w]|\.\d)/g;
  for (const candidate of text.matchAll(v4)) {
    if (!isIpv4Valid(candidate[0])) continue;
    const start = candidate.index;
    const looksLikeVersion = VERSION_CONTEXT.test(text.slice(Math.max(0, start - 12), start));
    found.push(match('ip_address', start, start + candidate[0].length, looksLikeVersion ? 0.3 : 0.9));
  }

  const v6 = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?:%[\w.]+)?(?![\w:])/g;
  for (const candidate of text.matchAll(v6)) {
    const address = candidate[0].replace(/%[\w.]+$/, '');
    if (!/[0-9A-Fa-f]/.test(address) || !isIpv6Valid(address)) continue;
    const groups = address.split(':').filter(Boolean).length;
    found.push(match('ip_address', candidate.index, candidate.index + candidate[0].length, groups >= 3 ? 0.9 : 0.7));
  }
  return found;
}

const FINDERS: Record<PiiType, (text: string) => PiiMatch[]> = {
  email: findEmails,
  phone: findPhones,
  payment_card: findPaymentCards,
  iban: findIbans,
  us_ssn: findUsSsns,
  uk_nino: findUkNinos,
  es_dni: findSpanishIds,
  it_fiscal_code: findItalianFiscalCodes,
  nl_bsn: findDutchBsns,
  pl_pesel: (text) => findElevenDigitIds(text).filter((found) => found.type === 'pl_pesel'),
  fr_nir: findFrenchNirs,
  de_tax_id: (text) => findElevenDigitIds(text).filter((found) => found.type === 'de_tax_id'),
  ip_address: findIpAddresses,
};

/**
 * Finds the PII of the requested types in `text`. Where candidates overlap, the one with
 * the highest confidence wins, then the longest, so a card number is not also reported as
 * a phone number. Matches below `minConfidence` are dropped before overlaps are resolved.
 */
export function findPii(text: string, types: readonly PiiType[], minConfidence: number): PiiMatch[] {
  const candidates: PiiMatch[] = [];
  for (const type of types) {
    for (const found of FINDERS[type](text)) {
      if (found.confidence >= minConfidence) candidates.push(found);
    }
  }

  candidates.sort((a, b) => b.confidence - a.confidence || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const selected: PiiMatch[] = [];
  for (const candidate of candidates) {
    if (selected.some((other) => candidate.start < other.end && other.start < candidate.end)) continue;
    selected.push(candidate);
  }
  return selected.sort((a, b) => a.start - b.start);
}
