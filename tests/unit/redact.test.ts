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

describe('redaction levels', () => {
  const text = 'Hi Anna Berg, your order 48213377 (see https://shop.example/o/48213377?t=abc) ships to anna@example.org.\nRegards,\nTom';
  it('off sends the text as written', () => {
    expect(redact(text, 'off')).toBe(text);
  });
  it('standard replaces contact and payment data only', () => {
    expect(redact(text, 'standard')).toBe(
      'Hi Anna Berg, your order 48213377 (see https://shop.example/o/48213377?t=abc) ships to [email].\nRegards,\nTom',
    );
  });
  it('strict also replaces links, long numbers and the names greetings and sign-offs address', () => {
    expect(redact(text, 'strict')).toBe('Hi [name], your order [number] (see [url]) ships to [email].\nRegards,\n[name]');
    expect(redact('Thank you for waiting, 3 days at most.', 'strict')).toBe('Thank you for waiting, 3 days at most.');
  });
});
