import { describe, expect, it } from 'vitest';
import { classifyAdoption, compareReply, normalizedTokens, tokenEditDistance } from '../../lib/adoption/similarity';

const SUGGESTION =
  'Hi there,\n\nHold the dial for five seconds until the ring blinks blue, then choose your network in the app. [1] ' +
  'Your router must offer a 2.4 GHz network with WPA2 security. [2]\n\nLet me know if there is anything else I can help with.';

describe('adoption similarity', () => {
  it('ignores case, punctuation, whitespace and citation markers', () => {
    expect(normalizedTokens('Hello,  WORLD [3]!')).toEqual(['hello', 'world']);
    expect(compareReply(SUGGESTION, SUGGESTION.replace(/\s+/g, ' ').replace(/\[\d\]/g, '')).outcome).toBe('verbatim');
  });

  it('counts word edits', () => {
    expect(tokenEditDistance(['a', 'b', 'c'], ['a', 'x', 'c', 'd'])).toBe(2);
    expect(tokenEditDistance([], ['a'])).toBe(1);
  });

  it('classifies an appended paragraph as edited', () => {
    const sent = `${SUGGESTION} One more thing: if the problem continues after these steps, reply with a photo of the display and we will arrange a replacement.`;
    const result = compareReply(SUGGESTION, sent);
    expect(result.outcome).toBe('edited');
    expect(result.similarity).toBeGreaterThan(0.55);
  });

  it('classifies half of the suggestion kept, the rest rewritten, as partial', () => {
    const words = SUGGESTION.split(/\s+/);
    const kept = words.slice(0, Math.ceil(words.length / 2)).join(' ');
    const sent = `${kept} Our engineers are looking at a firmware fix for routers from your provider and we will email you as soon as it ships to everyone.`;
    expect(compareReply(SUGGESTION, sent).outcome).toBe('partial');
  });

  it('classifies an unrelated reply as not used and names no candidate', () => {
    const result = classifyAdoption(
      [
        { id: 'a', text: SUGGESTION },
        { id: 'b', text: 'Refunds reach your card within five business days of the return arriving.' },
      ],
      'Thanks for waiting, I have escalated this to our warehouse team and will update you tomorrow.',
    );
    expect(result.candidate).toBeNull();
    expect(result.comparison.outcome).toBe('not_used');
  });

  it('picks the candidate the reply is closest to', () => {
    const other = 'Refunds reach your card within five business days of the return arriving at our warehouse.';
    const result = classifyAdoption(
      [
        { id: 'a', text: SUGGESTION },
        { id: 'b', text: other },
      ],
      `${other} Sorry for the wait!`,
    );
    expect(result.candidate?.id).toBe('b');
  });
});
