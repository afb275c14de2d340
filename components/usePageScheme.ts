import { useEffect, useState } from 'react';

export type Scheme = 'light' | 'dark';

/** Relative luminance of a computed CSS colour, or null when it is transparent or unreadable. */
function luminance(color: string): number | null {
  const m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/.exec(color);
  if (!m || (m[4] !== undefined && Number(m[4]) === 0)) return null;
  const [r, g, b] = [m[1], m[2], m[3]].map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/**
 * The helpdesk's own scheme, read from what it paints (its body or root background), because
 * helpdesks switch themes in-app regardless of the OS; the OS preference only when the page is
 * transparent.
 */
export function pageScheme(doc: Document = document): Scheme {
  for (const element of [doc.body, doc.documentElement]) {
    if (!element) continue;
    const l = luminance(getComputedStyle(element).backgroundColor);
    if (l !== null) return l < 0.4 ? 'dark' : 'light';
  }
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** Follows the page's scheme as it changes: a theme switch in the helpdesk or in the OS. */
export function usePageScheme(): Scheme {
  const [scheme, setScheme] = useState<Scheme>(() => pageScheme());
  useEffect(() => {
    const update = () => setScheme(pageScheme());
    const observer = new MutationObserver(update);
    const watched = { attributes: true, attributeFilter: ['class', 'style', 'data-theme', 'data-color-scheme'] };
    observer.observe(document.documentElement, watched);
    if (document.body) observer.observe(document.body, watched);
    const media = matchMedia('(prefers-color-scheme: dark)');
    media.addEventListener('change', update);
    return () => {
      observer.disconnect();
      media.removeEventListener('change', update);
    };
  }, []);
  return scheme;
}
