/** Escapes text for HTML and turns blank-line-separated paragraphs and line breaks into markup. */
export function plainTextToHtml(text: string): string {
  const escape = (s: string) =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n{2,}/)
    .map((p) => `<p>${escape(p).replace(/\n/g, '<br>')}</p>`)
    .join('');
}

/**
 * Turns editor HTML into the plain text an agent sent. Parsed with DOMParser, whose documents never
 * run scripts or load images, so hostile markup is inert here.
 */
export function htmlToText(html: string): string {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  const blocks: string[] = [];
  const walk = (node: Node, out: string[]) => {
    for (const child of Array.from(node.childNodes)) {
      if (child.nodeType === Node.TEXT_NODE) out.push(child.textContent ?? '');
      else if (child.nodeName === 'BR') out.push('\n');
      else walk(child, out);
    }
  };
  const blockNodes = doc.body.querySelectorAll('p, li, h1, h2, h3, h4, h5, h6, blockquote, pre');
  if (blockNodes.length === 0) {
    const out: string[] = [];
    walk(doc.body, out);
    return out.join('').replace(/\u00a0/g, ' ').trim();
  }
  for (const block of Array.from(blockNodes)) {
    // Nested blocks (a <p> inside an <li>) are read once, through their outermost block.
    if (block.parentElement?.closest('p, li, blockquote, pre')) continue;
    const out: string[] = [];
    walk(block, out);
    blocks.push(out.join('').replace(/\u00a0/g, ' ').trim());
  }
  return blocks.filter(Boolean).join('\n\n');
}
