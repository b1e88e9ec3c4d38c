import type { PiiType } from '../../src/pii/types.js';

/** A text with the PII the detector should find in it, by type and exact matched text. */
export interface PiiExample {
  text: string;
  expected: Array<{ type: PiiType; value: string }>;
}

const none = (text: string): PiiExample => ({ text, expected: [] });
const has = (text: string, ...expected: Array<[PiiType, string]>): PiiExample => ({ text, expected: expected.map(([type, value]) => ({ type, value })) });

/**
 * PII evaluation set, written for this extension. Identifiers were generated with their
 * check digits computed here, so they are valid in form but belong to no one. Look-alikes
 * break one rule each: a wrong Luhn or IBAN check digit, a never-issued SSN range, a
 * disallowed NINO prefix, a date or version number shaped like an id.
 */
export const piiSet: PiiExample[] = [
  // Emails.
  has('Contact me at jane.doe@example.com for details.', ['email', 'jane.doe@example.com']),
  has('CC: ops-team+alerts@mail.example.co.uk, thanks', ['email', 'ops-team+alerts@mail.example.co.uk']),
  has('Send it to <bob_smith99@corp.example.org>.', ['email', 'bob_smith99@corp.example.org']),
  has('Reviewers: a.b@example.io and c_d@example.dev', ['email', 'a.b@example.io'], ['email', 'c_d@example.dev']),
  has('EMAIL: MARIA.LOPEZ@EXAMPLE.ES', ['email', 'MARIA.LOPEZ@EXAMPLE.ES']),
  none('Use the retina asset icon@2x.png for the header.'),
  none('Install @mify/sdk and import from @mify/sdk/testing.'),
  none('Follow us @example_company on social media.'),
  none('The meeting is at 10am @ the main office.'),
  none('user@localhost is only valid on this machine.'),

  // Phone numbers.
  has('Call me on +44 20 7946 0958 after 5pm.', ['phone', '+44 20 7946 0958']),
  has('Phone: +1 (415) 555-2671', ['phone', '+1 (415) 555-2671']),
  has('Our hotline is (212) 555-0147.', ['phone', '(212) 555-0147']),
  has('Reach the front desk at 650-253-0199 or 650.253.0188.', ['phone', '650-253-0199'], ['phone', '650.253.0188']),
  has('Mobile: 07700 900123', ['phone', '07700 900123']),
  has('Tel. 030 12345678 (Berlin office)', ['phone', '030 12345678']),
  has('Appelez le 01 42 68 53 00 pour réserver.', ['phone', '01 42 68 53 00']),
  has('WhatsApp +49 151 23456789', ['phone', '+49 151 23456789']),
  has('Fax: 0044 161 496 0000', ['phone', '0044 161 496 0000']),
  has('Call 612 345 678 to reach the clinic in Madrid.', ['phone', '612 345 678']),
  none('The invoice is dated 2024-03-15 and due 2024-04-15.'),
  none('Born on 12/03/1985 in Lyon.'),
  none('Upgrade from version 3.14.159 to 3.15.0.'),
  none('The order total was 1,234,567 units.'),
  none('Tracking number 1Z999AA10123456784 was delivered.'),
  none('The score was 3-2 after extra time, attendance 45000.'),
  none('ISBN 978-3-16-148410-0 is the second edition.'),

  // Payment cards.
  has('Card: 4539 4569 5971 9846, exp 09/27', ['payment_card', '4539 4569 5971 9846']),
  has('Charge 5425-4569-5971-9840 for the order.', ['payment_card', '5425-4569-5971-9840']),
  has('Amex 371445695971984 on file.', ['payment_card', '371445695971984']),
  has('Discover card 6011456959719848 expired.', ['payment_card', '6011456959719848']),
  has('New Mastercard range: 2223 4569 5971 9841', ['payment_card', '2223 4569 5971 9841']),
  has('JCB 3530456959719847 was declined.', ['payment_card', '3530456959719847']),
  none('Card: 4539 4569 5971 9847 (fails the Luhn check).'),
  none('Reference 1234 5678 9012 3456 for your booking.'),
  none('Mixed separators 4539-4569 5971-9846 are not a card.'),
  none('The serial 0000 0000 0000 0000 is a placeholder.'),

  // IBANs.
  has('Please pay to DE35 3704 0044 0532 0130 99.', ['iban', 'DE35 3704 0044 0532 0130 99']),
  has('IBAN GB29NWBK60161331926819', ['iban', 'GB29NWBK60161331926819']),
  has('Virement sur FR14 2004 1010 0505 0001 3M02 606 avant vendredi', ['iban', 'FR14 2004 1010 0505 0001 3M02 606']),
  has('Dutch account NL91ABNA0417164300 EUR', ['iban', 'NL91ABNA0417164300']),
  has('ES91 2100 0418 4502 0005 1332 is the rent account.', ['iban', 'ES91 2100 0418 4502 0005 1332']),
  has('bonifico: IT60X0542811101000000123456', ['iban', 'IT60X0542811101000000123456']),
  has('Belgian iban be68539007547034 in lower case.', ['iban', 'be68539007547034']),
  none('Wrong checksum: DE36 3704 0044 0532 0130 99.'),
  none('Too short for Germany: DE35 3704 0044 0532 0130.'),
  none('Unknown country code: XX12 3456 7890 1234 5678 90.'),

  // US Social Security numbers.
  has('SSN: 536-22-7481', ['us_ssn', '536-22-7481']),
  has('Her social security number is 412 56 7890.', ['us_ssn', '412 56 7890']),
  has('ssn 536227481 on the W-2 form', ['us_ssn', '536227481']),
  none('SSN 666-12-3456 is never issued.'),
  none('SSN 900-45-6789 falls in the ITIN range.'),
  none('Group zero: 123-00-4567.'),
  none('Serial zero: 123-45-0000.'),
  none('Order 536227481 shipped yesterday.'),

  // UK National Insurance numbers.
  has('NI number: AB 12 34 56 C', ['uk_nino', 'AB 12 34 56 C']),
  has('NINO JG103759A on the payslip', ['uk_nino', 'JG103759A']),
  none('QQ123456C is the format example and is never issued.'),
  none('GB123456A uses a prefix that is not allocated.'),
  none('Part number AB123456E has an invalid suffix.'),

  // Spanish DNI and NIE.
  has('DNI 48217536Z', ['es_dni', '48217536Z']),
  has('NIE: Y1234567X', ['es_dni', 'Y1234567X']),
  has('Titular 71034582-W', ['es_dni', '71034582-W']),
  none('DNI 48217536A has the wrong letter.'),

  // Italian fiscal codes.
  has('Codice fiscale: RSSMRA85T10A562S', ['it_fiscal_code', 'RSSMRA85T10A562S']),
  has('cf bnclra92c45f205b', ['it_fiscal_code', 'bnclra92c45f205b']),
  none('Codice fiscale RSSMRA85T10A562X has the wrong check letter.'),

  // Dutch BSN, Polish PESEL, French NIR, German tax id.
  has('BSN: 123456782', ['nl_bsn', '123456782']),
  has('Burgerservicenummer 314159265', ['nl_bsn', '314159265']),
  none('BSN 123456783 fails the eleven test.'),
  has('PESEL 85120312343', ['pl_pesel', '85120312343']),
  has('numer PESEL: 02221543216', ['pl_pesel', '02221543216']),
  none('PESEL 85120312344 has a wrong check digit.'),
  has('N° de sécurité sociale : 1 85 07 75 116 123 66', ['fr_nir', '1 85 07 75 116 123 66']),
  has('NIR 292036912304527', ['fr_nir', '292036912304527']),
  none('NIR 292036912304528 has a wrong key.'),
  has('Steuer-ID: 86095742719', ['de_tax_id', '86095742719']),
  has('Tax ID number 47152839108 for the employee', ['de_tax_id', '47152839108']),
  none('Steuer-ID 86095742718 has a wrong check digit.'),

  // IP addresses.
  has('Blocked login from 203.0.113.42 at noon.', ['ip_address', '203.0.113.42']),
  has('Server at 192.168.1.10, gateway 192.168.1.1', ['ip_address', '192.168.1.10'], ['ip_address', '192.168.1.1']),
  has('IPv6 client 2001:db8:85a3::8a2e:370:7334 connected', ['ip_address', '2001:db8:85a3::8a2e:370:7334']),
  has('Link-local fe80::1ff:fe23:4567:890a%eth0 answered', ['ip_address', 'fe80::1ff:fe23:4567:890a%eth0']),
  has('Full form 2001:0db8:0000:0000:0000:ff00:0042:8329 is long.', ['ip_address', '2001:0db8:0000:0000:0000:ff00:0042:8329']),
  none('Invalid address 256.1.1.1 in the log.'),
  none('Leading zeros 192.168.01.1 are rejected.'),
  none('Released in v1.2.3.4 last week.'),
  none('The meeting is at 12:30:45 sharp.'),
  none('In C++ write std::vector<int>::iterator.'),
  none('The ratio was 1.5.2 in the old scheme.'),

  // Mixed texts.
  has(
    'Hi, I am Ana (ana.silva@example.pt, +351 912 345 678). Please refund card 4539 4569 5971 9846 to IBAN ES91 2100 0418 4502 0005 1332.',
    ['email', 'ana.silva@example.pt'],
    ['phone', '+351 912 345 678'],
    ['payment_card', '4539 4569 5971 9846'],
    ['iban', 'ES91 2100 0418 4502 0005 1332'],
  ),
  has('Employee file: SSN 536-22-7481, phone (415) 555-2671, IP 198.51.100.7.', ['us_ssn', '536-22-7481'], ['phone', '(415) 555-2671'], ['ip_address', '198.51.100.7']),
  none('Meeting notes: revenue up 12% to 3.4 million, 250 new customers, next review 2025-01-20.'),
  none('Build 20240315.1 passed 1482 tests in 93.7 seconds.'),
  none('Coordinates 48.8584, 2.2945 mark the tower.'),
];
