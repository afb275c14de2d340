import { describe, expect, it } from 'vitest';
import { passesLuhn, redact } from '../../lib/redact';

describe('redaction before text leaves the browser', () => {
  it('replaces e-mail addresses, card numbers, IBANs, IPs and phone numbers', () => {
    const text =
      'Mail dana.w@example.com, card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, from 198.51.100.23, call +1 555 010 0199.';
    expect(redact(text)).toBe('Mail [email], card [card], IBAN [iban], from [ip], call [phone].');
  });

  it('leaves numbers that fail the Luhn check, such as order numbers', () => {
    expect(passesLuhn('4111111111111111')).toBe(true);
    expect(passesLuhn('4111111111111112')).toBe(false);
    expect(redact('Order BN-12345678 arrived')).toBe('Order BN-12345678 arrived');
  });
});
