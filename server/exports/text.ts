/** Small encoders shared by the export formats. */

/** One JSON Lines record. JSON.stringify escapes line breaks inside strings, so a record stays on one line. */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

/** One CSV record (RFC 4180): fields with a comma, quote or line break are quoted, quotes doubled. */
export function csvRow(fields: (string | number | null | undefined)[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

function csvField(value: string | number | null | undefined): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A value for a tab-separated line: tabs and line breaks become single spaces. */
export function tsvField(text: string): string {
  return text.replace(/[\t\r\n]+/g, ' ').trim();
}

/** A Markdown table cell: one line, pipes escaped. */
export function mdCell(text: string | number): string {
  return String(text).replace(/\s*[\r\n]+\s*/g, ' ').replaceAll('|', '\\|').trim();
}

/**
 * A TREC identifier has no whitespace (qrels columns are split on it): whitespace and `%` are
 * percent-encoded, everything else is kept as it is.
 */
export function trecId(id: string): string {
  return id.replace(/[\s%]/g, (c) => encodeURIComponent(c));
}

/** Placeholders the extension's redaction leaves (lib/redact.ts) and citation markers like `[2]`. */
const PLACEHOLDER = /\[(?:email|phone|card|iban|ip|url|number|name|\d+)\]/gi;

/**
 * False for text with nothing left to learn from: empty, or only redaction placeholders, citation
 * markers, punctuation and whitespace.
 */
export function hasText(text: string | null | undefined): text is string {
  return typeof text === 'string' && /[\p{L}\p{N}]/u.test(text.replace(PLACEHOLDER, ' '));
}
