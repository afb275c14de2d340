/**
 * The text cut to at most `max` characters at a word boundary, with an ellipsis when it was cut
 * (titles, snippets and examples shown to people and models: a half word reads as a typo).
 */
export function clipAtWord(text: string, max: number, ellipsis = ' …'): string {
  return text.length <= max ? text : `${text.slice(0, max).replace(/\s+\S*$/, '')}${ellipsis}`;
}
