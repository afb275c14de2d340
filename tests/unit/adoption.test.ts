import { describe, expect, it } from 'vitest';
import { classifyAdoption, compareReply, normalizedTokens, tokenEditDistance, withoutSalutations } from '../../lib/adoption/similarity';

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

  it('does not count an added greeting or sign-off as an edit', () => {
    const reply = 'The guests loved the quiet rooms and the view of the river. Would you like me to book a room for you?';
    const sent = [
      `Hi Anna,\n\n${reply}\n\nBest regards,\nSam\nCustomer Support`,
      `Hello, ${reply}`,
      `Good morning Mr Patel,\n${reply}`,
      `${reply}\nThanks,\nAlex Chen`,
      `${reply}\n\nHave a great day!\nPriya`,
      `Dear Ms Okafor,\n\n${reply}\n\nKind regards, Tom`,
    ];
    for (const text of sent) expect(compareReply(reply, text), text).toMatchObject({ similarity: 1, outcome: 'verbatim' });
    // A suggestion that itself opens with a greeting, sent with another one.
    expect(compareReply(`Hi there,\n\n${reply}`, `Hey James!\n\n${reply}\n\nCheers,\nMaria`).similarity).toBe(1);
  });

  it('reads CKEditor output: non-breaking spaces and CRLF line ends', () => {
    expect(withoutSalutations('Hi\u00a0Anna,\r\nThe room is ready.\r\n\r\nBest\u00a0regards,\r\nSam')).toBe('The room is ready.');
  });

  it('keeps text that only looks like a salutation', () => {
    // Content lines, not sign-offs: a sentence after "thanks", a last line ending a sentence.
    expect(withoutSalutations('The room is ready.\nThanks for your patience while we checked.')).toContain('Thanks for your patience');
    expect(withoutSalutations('The room is ready.\nBest wishes for your stay!')).toContain('Best wishes for your stay');
    // A greeting with nothing after it, or a sign-off with nothing before it, is left alone.
    expect(withoutSalutations('Hello Anna')).toBe('Hello Anna');
    expect(withoutSalutations('Thanks,\nSam')).toBe('Thanks,\nSam');
    // "Hi" must be the whole word.
    expect(withoutSalutations('Highly rated by guests, the spa opens at nine.')).toBe('Highly rated by guests, the spa opens at nine.');
    // More than three short lines after a closing are not a signature.
    expect(withoutSalutations('Ready.\nThanks,\na\nb\nc\nd')).toContain('Thanks');
  });

  it('still counts a changed reply as edited when a sign-off is added', () => {
    const reply = 'The guests loved the quiet rooms and the view of the river. Would you like me to book a room for you?';
    const edited = 'The guests loved the rooms and the view of the river. Shall I book a room for you?';
    expect(compareReply(reply, `${edited}\n\nBest regards,\nSam`).outcome).toBe('edited');
  });
});
