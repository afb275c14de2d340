import { describe, expect, it } from 'vitest';
import { unbackedUrls, urlsIn } from '../../server/generation/links';

const articles = [
  { n: 1, url: 'https://help.example.com/wifi', content: 'See https://help.example.com/routers/ for supported routers, or www.example.com/app.' },
  { n: 2, url: null, content: 'Call us at https://example.com/contact.' },
];

describe('links a reply makes that its cited articles do not back', () => {
  it('finds URLs in prose without their trailing punctuation', () => {
    expect(urlsIn('Go to https://a.example/x, then (www.b.example/y). Done: http://c.example.')).toEqual([
      'https://a.example/x',
      'www.b.example/y',
      'http://c.example',
    ]);
  });

  it('accepts links of cited articles in any spelling and flags the rest once', () => {
    const text = 'Follow HTTPS://Help.Example.com/wifi/ and https://help.example.com/routers [1]; log in at https://evil.example/login or https://evil.example/login.';
    expect(unbackedUrls({ text, citations: [1] }, articles)).toEqual(['https://evil.example/login']);
  });

  it('counts only the articles the reply cites', () => {
    expect(unbackedUrls({ text: 'Contact https://example.com/contact [1].', citations: [1] }, articles)).toEqual(['https://example.com/contact']);
    expect(unbackedUrls({ text: 'Contact https://example.com/contact [2].', citations: [2] }, articles)).toEqual([]);
    expect(unbackedUrls({ text: 'No links here [1].', citations: [1] }, articles)).toEqual([]);
  });
});
