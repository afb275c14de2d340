/**
 * CKEditor data (HTML) → the plain text the demo stores: paragraphs and other blocks are separated
 * by a blank line, `<br>` becomes a line break, list items become `- item` / `1. item` lines, and a
 * link keeps its URL in parentheses when the URL differs from its text.
 *
 * Parsed with DOMParser: the resulting document is inert (no scripts run, nothing is fetched).
 */
const BLOCK_TAGS = new Set([
  'ADDRESS', 'ARTICLE', 'ASIDE', 'BLOCKQUOTE', 'DIV', 'DL', 'DT', 'DD', 'FIGCAPTION', 'FIGURE', 'FOOTER',
  'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'HEADER', 'HR', 'LI', 'MAIN', 'NAV', 'P', 'PRE', 'SECTION', 'TABLE',
  'TBODY', 'THEAD', 'TFOOT', 'TR',
]);
const LIST_TAGS = new Set(['UL', 'OL']);
const SKIP_TAGS = new Set(['SCRIPT', 'STYLE', 'TEMPLATE', 'NOSCRIPT']);

export function editorHtmlToText(html: string): string {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  return blocks(doc.body, 0).join('\n\n').trim();
}

function blocks(el: Element, depth: number): string[] {
  const out: string[] = [];
  let buffer = '';
  const flush = () => {
    const text = buffer
      .split('\n')
      .map((line) => line.replace(/^ +| +$/g, '').replace(/\u00a0/g, ' ').replace(/ +$/, ''))
      .join('\n')
      .replace(/^\n+|\n+$/g, '');
    if (text.trim() !== '') out.push(text);
    buffer = '';
  };
  for (const child of el.childNodes) {
    if (child instanceof Element && SKIP_TAGS.has(child.tagName)) continue;
    if (child instanceof Element && LIST_TAGS.has(child.tagName)) {
      flush();
      const list = listText(child, depth);
      if (list) out.push(list);
    } else if (child instanceof Element && BLOCK_TAGS.has(child.tagName)) {
      flush();
      out.push(...blocks(child, depth));
    } else {
      buffer += inline(child);
    }
  }
  flush();
  return out;
}

function inline(node: Node): string {
  if (node.nodeType === Node.TEXT_NODE) return (node as Text).data.replace(/[ \t\r\n\f]+/g, ' ');
  if (!(node instanceof Element) || SKIP_TAGS.has(node.tagName)) return '';
  if (node.tagName === 'BR') return '\n';
  let text = '';
  for (const child of node.childNodes) text += inline(child);
  if (node.tagName === 'A') {
    const href = node.getAttribute('href')?.trim() ?? '';
    const shown = text.trim();
    const bare = href.replace(/^mailto:/i, '');
    if (href && bare !== shown && href !== shown) text = shown ? `${text} (${href})` : href;
  }
  return text;
}

function listText(list: Element, depth: number): string {
  const indent = '  '.repeat(depth);
  const lines: string[] = [];
  let n = Number(list.getAttribute('start')) || 1;
  for (const item of list.children) {
    if (item.tagName !== 'LI') continue;
    const marker = list.tagName === 'OL' ? `${n++}. ` : '- ';
    const parts = blocks(item, depth + 1);
    const [first = '', ...rest] = parts;
    // Continuation lines of the item's own text line up under its first word; nested lists carry their own indent.
    const pad = ' '.repeat(marker.length);
    lines.push(`${indent}${marker}${first.split('\n').join(`\n${indent}${pad}`)}`);
    for (const part of rest) lines.push(part.startsWith(`${indent}  `) ? part : `${indent}${pad}${part}`);
  }
  return lines.join('\n');
}
