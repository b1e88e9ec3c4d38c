import { describe, expect, it } from 'vitest';
import {
  cardNetwork,
  isCalendarDate,
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
} from '../src/pii/checksums.js';

/** Check-digit and range checks behind the PII detector; each case changes one character of a valid id. */
describe('PII checksums', () => {
  it('Luhn accepts valid and rejects changed digits', () => {
    expect(isLuhnValid('4539456959719846')).toBe(true);
    expect(isLuhnValid('4539456959719847')).toBe(false);
    expect(isLuhnValid('371445695971984')).toBe(true);
  });

  it('card network from prefix and length', () => {
    expect(cardNetwork('4539456959719846')).toBe('visa');
    expect(cardNetwork('2223456959719841')).toBe('mastercard');
    expect(cardNetwork('371445695971984')).toBe('amex');
    expect(cardNetwork('37144569597198')).toBeNull();
    expect(cardNetwork('1234567812345670')).toBeNull();
  });

  it('IBAN checks length and mod 97', () => {
    expect(isIbanValid('DE35370400440532013099')).toBe(true);
    expect(isIbanValid('DE36370400440532013099')).toBe(false);
    expect(isIbanValid('DE3537040044053201309')).toBe(false);
    expect(isIbanValid('GB29NWBK60161331926819')).toBe(true);
    expect(isIbanValid('fr1420041010050500013m02606')).toBe(true);
    expect(isIbanValid('XX12345678901234567890')).toBe(false);
  });

  it('US SSN rejects never-issued ranges', () => {
    expect(isUsSsnValid('536227481')).toBe(true);
    for (const invalid of ['000227481', '666227481', '936227481', '536007481', '536220000', '078051120']) {
      expect(isUsSsnValid(invalid), invalid).toBe(false);
    }
  });

  it('UK NINO rejects disallowed prefixes and suffixes', () => {
    expect(isUkNinoValid('JG103759A')).toBe(true);
    for (const invalid of ['QQ123456C', 'GB123456A', 'DA123456A', 'AO123456A', 'JG103759E']) {
      expect(isUkNinoValid(invalid), invalid).toBe(false);
    }
  });

  it('Spanish DNI and NIE check letter', () => {
    expect(isSpanishIdValid('48217536Z')).toBe(true);
    expect(isSpanishIdValid('48217536A')).toBe(false);
    expect(isSpanishIdValid('Y1234567X')).toBe(true);
    expect(isSpanishIdValid('Z1234567X')).toBe(false);
  });

  it('Italian fiscal code check letter', () => {
    expect(isItalianFiscalCodeValid('RSSMRA85T10A562S')).toBe(true);
    expect(isItalianFiscalCodeValid('RSSMRA85T10A562T')).toBe(false);
  });

  it('Dutch BSN eleven test', () => {
    expect(isDutchBsnValid('123456782')).toBe(true);
    expect(isDutchBsnValid('123456783')).toBe(false);
  });

  it('Polish PESEL check digit and date', () => {
    expect(isPolishPeselValid('85120312343')).toBe(true);
    expect(isPolishPeselValid('02221543216')).toBe(true);
    expect(isPolishPeselValid('85120312344')).toBe(false);
    expect(isPolishPeselValid('85133112340')).toBe(false);
  });

  it('French NIR key', () => {
    expect(isFrenchNirValid('185077511612366')).toBe(true);
    expect(isFrenchNirValid('185077511612367')).toBe(false);
  });

  it('German tax id check digit and digit rule', () => {
    expect(isGermanTaxIdValid('86095742719')).toBe(true);
    expect(isGermanTaxIdValid('86095742718')).toBe(false);
    expect(isGermanTaxIdValid('12345678903')).toBe(false);
  });

  it('IP address forms', () => {
    expect(isIpv4Valid('203.0.113.42')).toBe(true);
    expect(isIpv4Valid('256.1.1.1')).toBe(false);
    expect(isIpv4Valid('192.168.01.1')).toBe(false);
    expect(isIpv6Valid('2001:db8:85a3::8a2e:370:7334')).toBe(true);
    expect(isIpv6Valid('::ffff:192.0.2.1')).toBe(true);
    expect(isIpv6Valid('1:2:3')).toBe(false);
    expect(isIpv6Valid('1::2::3')).toBe(false);
  });

  it('calendar dates with leap years', () => {
    expect(isCalendarDate(2024, 2, 29)).toBe(true);
    expect(isCalendarDate(2023, 2, 29)).toBe(false);
    expect(isCalendarDate(1900, 2, 29)).toBe(false);
  });
});
