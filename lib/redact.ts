import type { RedactionLevel } from './contract';

/**
 * Redaction applied before any ticket or reply text leaves the browser. Replaces personal data with
 * typed placeholders so that text stays readable for retrieval and for datasets.
 */
const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+\.[\p{L}]{2,}/gu;
const IBAN = /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b/g;
const CARD_CANDIDATE = /\b(?:\d[ -]?){12,18}\d\b/g;
const IPV4 = /\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b/g;
const IPV6 = /\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b|\b(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}:?){0,6}[0-9a-f]{1,4}\b/gi;
/** International (+…) numbers, or groups separated by spaces, dots or dashes: a bare digit run is more
 * often an order or ticket number than a phone number. */
const PHONE = /(?<![\w.-])(?:\+\d[\d ().-]{6,}\d|\(?\d{2,4}\)?[ .-]\d{2,4}[ .-]\d{3,5}(?:[ .-]\d{2,5})?)(?![\w-]|\.\d)/g;

/** Strict level only: links (they often carry tokens or order ids), runs of 4+ digits, and the name a
 * greeting addresses ("Hi Anna," → "Hi [name],"). */
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"')]+|\bwww\.[^\s<>"')]+/gi;
const LONG_NUMBER = /\b\d{4,}\b/g;
const GREETING_NAME =
  /\b(Hi|Hello|Hey|Dear|Thanks|Thank you|Cheers|Best regards|Kind regards|Regards|Best|Sincerely),?((?:[ \t]+|[ \t]*\n[ \t]*))(\p{Lu}[\p{L}'’-]+(?:[ \t]+\p{Lu}[\p{L}'’-]+)?)/gu;

/** Luhn checksum, so that order numbers and the like are not mistaken for card numbers. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length >= 13 && sum % 10 === 0;
}

/** Replaces personal data per the redaction level (see ExtensionSettings.redaction). */
export function redact(text: string, level: RedactionLevel = 'standard'): string {
  if (level === 'off') return text;
  const standard = redactStandard(text);
  if (level === 'standard') return standard;
  return standard
    .replace(URL_PATTERN, '[url]')
    .replace(LONG_NUMBER, '[number]')
    .replace(GREETING_NAME, (match, greeting: string, gap: string) => `${match.slice(0, match.indexOf(gap, greeting.length))}${gap}[name]`);
}

function redactStandard(text: string): string {
  return text
    .replace(EMAIL, '[email]')
    .replace(IBAN, '[iban]')
    .replace(CARD_CANDIDATE, (match) => (passesLuhn(match.replace(/\D/g, '')) ? '[card]' : match))
    .replace(IPV4, '[ip]')
    .replace(IPV6, '[ip]')
    .replace(PHONE, (match) => (match.replace(/\D/g, '').length >= 7 ? '[phone]' : match));
}
