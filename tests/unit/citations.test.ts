import { describe, expect, it } from 'vitest';
import { applyCitations, CitationStream } from '../../server/generation/citations';

const GIVEN = new Set([1, 2, 3]);

/** Feeds text to a CitationStream in pieces of `size` characters and joins what it lets through. */
function streamed(text: string, size: number): string {
  const stream = new CitationStream(GIVEN);
  let out = '';
  for (let i = 0; i < text.length; i += size) out += stream.push(text.slice(i, i + size));
  return out + stream.end();
}

describe('citation checking', () => {
  it('keeps citations of given articles and reports them sorted and unique', () => {
    expect(applyCitations('Reset it [2]. Then pair it [1]. Done [2].', GIVEN)).toEqual({
      text: 'Reset it [2]. Then pair it [1]. Done [2].',
      citations: [1, 2],
      invalidCitations: 0,
    });
  });

  it('removes and counts citations of articles not given, without leaving stray spaces', () => {
    expect(applyCitations('Reset it [7]. Pair it [1] [9] now.\n[4] Next line [12]', GIVEN)).toEqual({
      text: 'Reset it. Pair it [1] now.\nNext line',
      citations: [1],
      invalidCitations: 4,
    });
  });

  it('splits groups into single citations, dropping only the numbers not given', () => {
    expect(applyCitations('See [1, 5,3] and [ 2 ].', GIVEN)).toEqual({ text: 'See [1][3] and [2].', citations: [1, 2, 3], invalidCitations: 1 });
  });

  it('leaves brackets that are not citations alone', () => {
    const text = 'Type [your order number] or [] in the form, then press [OK].';
    expect(applyCitations(text, GIVEN)).toEqual({ text, citations: [], invalidCitations: 0 });
  });

  it('streams the same text whatever the piece size, holding back only unresolved citations', () => {
    const text = 'Hold the dial [1]. Warranty [9] applies [2, 8].\n[7] Bye [3]';
    const whole = applyCitations(text, GIVEN).text;
    for (const size of [1, 2, 3, 5, 8, 64]) expect(streamed(text, size)).toBe(whole);
  });

  it('lets text through as soon as it cannot be a citation any more', () => {
    const stream = new CitationStream(GIVEN);
    expect(stream.push('Hello')).toBe('Hello');
    expect(stream.push(' [')).toBe('');
    expect(stream.push('1')).toBe('');
    expect(stream.push('] and')).toBe(' [1] and');
    expect(stream.push(' [x')).toBe(' [x');
    expect(stream.push(' [')).toBe('');
    expect(stream.end()).toBe(' [');
  });
});
