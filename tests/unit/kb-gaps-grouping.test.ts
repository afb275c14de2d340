import { describe, expect, it } from 'vitest';
import { createMissingGrouper, type GapItem } from '../../server/exports/kb-gaps-grouping';

const words = (text: string) => text.toLowerCase().split(/\W+/).filter(Boolean);

let n = 0;
function ticket(ticketId: string, query: string, receivedAt = `2025-01-01T00:00:${String(n++ % 60).padStart(2, '0')}.000000Z`): GapItem {
  return { kind: 'ticket', ticketId, suggestionId: `s-${ticketId}`, query, queryTerms: words(query), noRelevant: true, receivedAt };
}

function flag(ticketId: string, query: string, description: string, proposedTitle?: string): GapItem {
  return {
    ...ticket(ticketId, query),
    kind: 'flag',
    description,
    proposedTitle,
    flagTerms: words([proposedTitle, description].filter(Boolean).join(' ')),
    noRelevant: false,
  };
}

describe('KB-gap clustering', () => {
  it('puts tickets asking the same thing together and apart from other topics', () => {
    const grouper = createMissingGrouper();
    for (const item of [
      ticket('1', 'passport renewal fee abroad'),
      ticket('2', 'how much is the passport renewal fee'),
      ticket('3', 'renewal fee for a passport from abroad'),
      ticket('4', 'pension age for women'),
      ticket('5', 'what is the pension age'),
    ])
      grouper.add(item);
    const groups = grouper.groups();
    expect(groups.map((g) => g.tickets)).toEqual([3, 2]);
    expect(groups[0]!.exampleTickets.sort()).toEqual(['1', '2', '3']);
    expect(groups[0]!.noRelevantTickets).toBe(3);
    expect(groups[0]!.flags).toBe(0);
  });

  it("weighs a flag's own words over its ticket's query: two flags on one ticket about different things stay apart", () => {
    const grouper = createMissingGrouper();
    grouper.add(flag('7', 'thermostat batteries valve', 'Nothing on volume pricing for landlords', 'Volume pricing for landlords'));
    grouper.add(flag('7', 'thermostat batteries valve', 'Customers ask whether we ship to Canada'));
    grouper.add(flag('8', 'thermostat wifi pairing', 'Landlords ask for volume pricing', 'Volume pricing for landlords'));
    const groups = grouper.groups();
    expect(groups.map((g) => [g.title, g.flags, g.tickets])).toEqual([
      ['Volume pricing for landlords', 2, 2],
      ['Customers ask whether we ship to Canada', 1, 1],
    ]);
  });

  it('gives the same clusters whatever order the items come in', () => {
    const items = [
      ticket('a', 'covid vaccine side effects', '2025-01-01T00:00:01.000000Z'),
      ticket('b', 'side effects of the covid vaccine in children', '2025-01-01T00:00:02.000000Z'),
      ticket('c', 'travel quarantine rules', '2025-01-01T00:00:03.000000Z'),
      ticket('d', 'quarantine rules after travel abroad', '2025-01-01T00:00:04.000000Z'),
    ];
    const clusters = (list: GapItem[]) => {
      const grouper = createMissingGrouper();
      for (const item of list) grouper.add(item);
      return grouper.groups().map((g) => [...g.exampleTickets].sort().join(','));
    };
    expect(clusters([...items].reverse()).sort()).toEqual(clusters(items).sort());
    expect(clusters(items).sort()).toEqual(['a,b', 'c,d']);
  });

  it('marks a cluster a likely retrieval miss when as many similar tickets found an article relevant', () => {
    const grouper = createMissingGrouper();
    grouper.add(ticket('1', 'reset the router to factory settings'));
    grouper.add(ticket('2', 'reset router factory settings'));
    grouper.add(ticket('3', 'refund for a damaged parcel'));
    grouper.addAnswered({ ticketId: '10', queryTerms: words('how to reset my router to factory settings'), articleIds: ['kb-reset'] });
    grouper.addAnswered({ ticketId: '11', queryTerms: words('factory reset router'), articleIds: ['kb-reset'] });
    grouper.addAnswered({ ticketId: '12', queryTerms: words('router reset settings'), articleIds: ['kb-reset', 'kb-router'] });
    const [router, refund] = grouper.groups();
    expect(router).toMatchObject({ tickets: 2, retrievalMiss: true, answered: { tickets: 3, articles: [{ articleId: 'kb-reset', tickets: 3 }, { articleId: 'kb-router', tickets: 1 }] } });
    expect(refund).toMatchObject({ tickets: 1, retrievalMiss: false, answered: { tickets: 0 } });
  });
});
