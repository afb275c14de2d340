import type { Database } from '../db/client';
import { createMissingGrouper, type MissingFlag, type MissingGroup, type MissingGrouper } from './kb-gaps-grouping';
import { eventConditions, eventPages, notSuperseded, Params, type ExportScope } from './scope';
import { csvRow, mdCell } from './text';

export type KbGapFormat = 'markdown' | 'csv';

/** An article agents labelled `outdated`. */
export interface OutdatedArticle {
  articleId: string;
  /** Null when the article is no longer in the knowledge base. */
  title: string | null;
  url: string | null;
  flags: number;
  tickets: number;
  exampleTickets: string[];
}

export interface KbGapReport {
  method: string;
  missing: MissingGroup[];
  missingFlags: number;
  outdated: OutdatedArticle[];
}

const EXAMPLE_TICKETS = 5;

/**
 * The knowledge-gap report: missing-knowledge flags in groups (kb-gaps-grouping.ts), and the
 * articles labelled outdated with their flag counts and the tickets that triggered them. Flags are
 * read page by page into the grouper; outdated labels are counted by the database. An agent's later
 * relevance label on the same article of the same suggestion replaces an earlier `outdated`.
 */
export async function buildKbGapReport(
  database: Database,
  scope: ExportScope,
  grouper: MissingGrouper = createMissingGrouper(),
): Promise<KbGapReport> {
  let missingFlags = 0;
  const pages = eventPages<{ ticket_id: string; payload: Omit<MissingFlag, 'ticketId'> }>(database, scope, {
    select: 'e.ticket_id, e.payload',
    where: () => [`e.type = 'knowledge.missing'`],
  });
  for await (const page of pages) {
    for (const row of page) {
      grouper.add({ ...row.payload, ticketId: row.ticket_id });
      missingFlags++;
    }
  }
  const params = new Params();
  const conditions = [
    ...eventConditions(scope, params),
    `e.type = 'knowledge.relevance'`,
    `e.payload->>'label' = 'outdated'`,
    notSuperseded('knowledge.relevance', params, `and later.payload->>'articleId' = e.payload->>'articleId'`),
  ];
  const rows = await database.query<{
    article_id: string;
    title: string | null;
    url: string | null;
    flags: number;
    tickets: number;
    example_tickets: string[];
  }>(
    `select e.payload->>'articleId' as article_id, max(a.title) as title, max(a.url) as url,
            count(*)::int as flags, count(distinct e.ticket_id)::int as tickets,
            to_jsonb((array_agg(distinct e.ticket_id order by e.ticket_id))[1:${EXAMPLE_TICKETS}]) as example_tickets
       from events e
       left join kb_articles a on a.tenant_id = e.tenant_id and a.external_id = e.payload->>'articleId'
      where ${conditions.join(' and ')}
      group by e.payload->>'articleId'
      order by flags desc, tickets desc, article_id`,
    params.values,
  );
  return {
    method: grouper.method,
    missing: grouper.groups(),
    missingFlags,
    outdated: rows.map((r) => ({
      articleId: r.article_id,
      title: r.title,
      url: r.url,
      flags: r.flags,
      tickets: r.tickets,
      exampleTickets: r.example_tickets ?? [],
    })),
  };
}

/** The report as Markdown: a heading per part, one table row per group or article. */
export function kbGapMarkdown(report: KbGapReport, scopeText: string, generatedAt: Date): string {
  const lines = [
    '# Knowledge-base gap report',
    '',
    `Generated ${generatedAt.toISOString()} from ${scopeText}.`,
    '',
    `## Missing knowledge: ${report.missingFlags} ${plural(report.missingFlags, 'flag')} in ${report.missing.length} ${plural(report.missing.length, 'group')}`,
    '',
    `Grouping: ${report.method}.`,
    '',
  ];
  if (report.missing.length) {
    lines.push('| # | Proposed article | Flags | Tickets | Categories | Example tickets | Example descriptions |', '|---|---|---|---|---|---|---|');
    report.missing.forEach((g, i) => {
      lines.push(
        `| ${i + 1} | ${mdCell(g.title)} | ${g.flags} | ${g.tickets} | ${mdCell(g.categories.map((c) => `${c.category} (${c.flags})`).join(', '))} | ${mdCell(g.exampleTickets.join(', '))} | ${mdCell(g.exampleDescriptions.join(' / '))} |`,
      );
    });
  } else {
    lines.push('No missing knowledge was flagged.');
  }
  const outdatedFlags = report.outdated.reduce((sum, a) => sum + a.flags, 0);
  lines.push(
    '',
    `## Outdated articles: ${report.outdated.length} ${plural(report.outdated.length, 'article')}, ${outdatedFlags} ${plural(outdatedFlags, 'flag')}`,
    '',
  );
  if (report.outdated.length) {
    lines.push('| Article | Title | Flags | Tickets | Example tickets |', '|---|---|---|---|---|');
    for (const a of report.outdated) {
      const title = a.title === null ? '(no longer in the knowledge base)' : a.url ? `[${mdCell(a.title)}](${a.url.replaceAll(')', '%29')})` : mdCell(a.title);
      lines.push(`| ${mdCell(a.articleId)} | ${title} | ${a.flags} | ${a.tickets} | ${mdCell(a.exampleTickets.join(', '))} |`);
    }
  } else {
    lines.push('No article was labelled outdated.');
  }
  return `${lines.join('\n')}\n`;
}

export const KB_GAP_CSV_COLUMNS = ['section', 'key', 'title', 'flags', 'tickets', 'categories', 'example_tickets', 'example_descriptions'];

/**
 * The report as one CSV table: `section` is `missing` (key: the group's number) or `outdated`
 * (key: the article id); lists inside a cell are separated by `; `.
 */
export function kbGapCsv(report: KbGapReport): string {
  let out = csvRow(KB_GAP_CSV_COLUMNS);
  report.missing.forEach((g, i) => {
    out += csvRow([
      'missing',
      String(i + 1),
      g.title,
      g.flags,
      g.tickets,
      g.categories.map((c) => `${c.category} (${c.flags})`).join('; '),
      g.exampleTickets.join('; '),
      g.exampleDescriptions.join('; '),
    ]);
  });
  for (const a of report.outdated) out += csvRow(['outdated', a.articleId, a.title ?? '', a.flags, a.tickets, '', a.exampleTickets.join('; '), '']);
  return out;
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
