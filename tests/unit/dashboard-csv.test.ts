import { describe, expect, it } from 'vitest';
import { csvRecords, parseCsv } from '../../dashboard/csv';
import { duration, interval, pct, pp } from '../../dashboard/format';
import { kbGapCsv } from '../../server/exports/kb-gaps';

describe('dashboard CSV reader', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\r\n"two\nlines",\r\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['two\nlines', ''],
    ]);
  });

  it('reads the KB-gap report as the server writes it', () => {
    const csv = kbGapCsv({
      method: 'test',
      missingFlags: 3,
      noRelevantTickets: 1,
      missing: [
        {
          title: 'Resetting, after a "power cut"',
          flags: 3,
          noRelevantTickets: 1,
          tickets: 2,
          texts: ['reset after power cut'],
          newestAt: '2025-03-01T10:00:00.000000Z',
          closestArticles: [{ articleId: 'kb-2', title: 'Reset; factory', url: null }, { articleId: 'kb-3', title: 'Power', url: 'https://x/p' }],
          answered: { tickets: 4, articles: [{ articleId: 'kb-2', tickets: 3 }] },
          answeredBy: [{ articleId: 'kb-2', title: 'Reset; factory', url: null, tickets: 3 }],
          retrievalMiss: true,
          covered: true,
          coveredBy: [{ articleId: 'kb-9', title: 'Power cuts', url: null }],
          categories: [{ category: 'hardware', flags: 3 }],
          exampleTickets: ['1001', '1004'],
          exampleDescriptions: ['no article, none'],
        },
      ],
      outdated: [{ articleId: 'kb-17', title: null, url: null, flags: 1, tickets: 1, exampleTickets: ['1003'] }],
    });
    const [missing, outdated] = csvRecords(csv);
    expect(missing).toMatchObject({
      section: 'missing',
      key: '1',
      title: 'Resetting, after a "power cut"',
      flags: '3',
      no_relevant_tickets: '1',
      tickets: '2',
      covered: 'yes',
      covered_by: 'kb-9',
      closest_articles: 'kb-2; kb-3',
      similar_answered_tickets: '4',
      answered_by: 'kb-2',
      retrieval_miss: 'yes',
      example_tickets: '1001; 1004',
    });
    expect(outdated).toMatchObject({ section: 'outdated', key: 'kb-17', title: '', flags: '1', tickets: '1', covered: '', example_tickets: '1003' });
  });
});

describe('dashboard number formats', () => {
  it('formats rates, intervals, lifts and durations', () => {
    expect(pct(0.4231)).toBe('42.3%');
    expect(pct(null)).toBe('–');
    expect(interval(0.381, 0.459)).toBe('38.1–45.9%');
    expect(interval(null, null)).toBe('');
    expect(pp(0.031)).toBe('+3.1 pp');
    expect(pp(-0.02)).toBe('−2.0 pp');
    expect(duration(850)).toBe('850 ms');
    expect(duration(42_000)).toBe('42 s');
    expect(duration(300_000)).toBe('5.0 min');
    expect(duration(null)).toBe('–');
  });
});
