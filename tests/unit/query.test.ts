import { describe, expect, it } from 'vitest';
import { chunkArticle } from '../../server/kb/chunk';
import { cleanMessage, queryFromTicket } from '../../server/retrieval/query';

describe('query from a noisy ticket', () => {
  it('drops the greeting, the signature and quoted history', () => {
    const text = 'Hi team,\nMy Halo shows E42 after pairing.\nThanks,\nDana\nSent from my iPhone\n\nOn Mon, Nov 23, support wrote:\n> Please try again';
    expect(cleanMessage(text)).toBe('My Halo shows E42 after pairing.');
  });

  it('carries the names mentioned earlier into a follow-up question', () => {
    const query = queryFromTicket({
      subject: '',
      messages: [
        { author: 'customer', text: "I'm looking for a restaurant called Maharajah Tandoori." },
        { author: 'agent', text: 'It is an Indian restaurant on Castle Street.' },
        { author: 'customer', text: 'Could you confirm that it has a fun décor?' },
      ],
    });
    expect(query).toBe('Could you confirm that it has a fun décor?\nIndian Castle Street Maharajah Tandoori');
  });

  it('uses the subject and the latest customer message, not earlier text', () => {
    const query = queryFromTicket({
      subject: 'Wifi trouble',
      messages: [
        { author: 'customer', text: 'first message about billing' },
        { author: 'agent', text: 'agent reply about refunds' },
        { author: 'customer', text: 'Hello,\nstill offline since the router change' },
      ],
    });
    expect(query).toBe('Wifi trouble\nstill offline since the router change');
    expect(query).not.toMatch(/billing|refunds/);
  });
});

describe('chunking', () => {
  it('splits at section headings and carries the title into every chunk', () => {
    const chunks = chunkArticle('Wi-Fi help', 'Intro line.\n\n## Pairing\nHold the dial.\n\n## Router\nUse 2.4 GHz.');
    expect(chunks.map((c) => c.heading)).toEqual([null, 'Pairing', 'Router']);
    expect(chunks.every((c) => c.searchText.startsWith('Wi-Fi help'))).toBe(true);
    expect(chunks[2]!.content).toBe('Use 2.4 GHz.');
  });
});
