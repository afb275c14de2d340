import type { TicketContext } from '../../lib/contract';
import type { Database } from '../db/client';
import { stemmedLexemes } from '../retrieval/learned';
import { retrieveLexicalAll } from '../retrieval/lexical-batch';
import { queryFromTicket } from '../retrieval/query';
import { createMissingGrouper, REPRESENTATIVE_TEXTS, type GapItem, type MissingGroup, type MissingGrouper } from './kb-gaps-grouping';
import { afterCursor, eventConditions, eventPages, keysetPages, notSuperseded, Params, type ExportScope, type KeysetRow } from './scope';
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

/** An existing article, as the report names it. */
export interface ArticleRef {
  articleId: string;
  title: string;
  url: string | null;
}

/** A missing-knowledge cluster with what the knowledge base holds near it. */
export interface KbGapCluster extends MissingGroup {
  /** The top CLOSEST_ARTICLES articles of the tenant's lexical retrieval for the cluster's text. */
  closestArticles: ArticleRef[];
  /** The articles similar tickets found relevant, with how many of those tickets did. */
  answeredBy: (ArticleRef & { tickets: number })[];
  /** Articles created or changed after the cluster's newest member that answer its tickets (see COVERED_SHARE). */
  coveredBy: ArticleRef[];
  covered: boolean;
}

export interface KbGapReport {
  method: string;
  missing: KbGapCluster[];
  missingFlags: number;
  /** Tickets where the agent labelled every shown article irrelevant or outdated. */
  noRelevantTickets: number;
  outdated: OutdatedArticle[];
}

const EXAMPLE_TICKETS = 5;
export const CLOSEST_ARTICLES = 3;
/** A new article answers a flag or ticket when it is among the top COVER_DEPTH articles retrieved for its text. */
export const COVER_DEPTH = 3;
/** A cluster is covered when new articles answer at least this share of its representative members. */
export const COVERED_SHARE = 0.5;
/** Chunks read per retrieval, enough to find CLOSEST_ARTICLES distinct articles. */
const RETRIEVAL_CHUNKS = 20;

export const COVERED_DEFINITION =
  `a cluster is covered when, for at least ${Math.round(COVERED_SHARE * 100)}% of its ${REPRESENTATIVE_TEXTS} most representative ` +
  `flags and tickets, an article created or changed after the cluster's newest flag or ticket is among the top ${COVER_DEPTH} ` +
  `articles the tenant's lexical retrieval returns for it (a flag's proposed title and description, a ticket's query)`;

/**
 * The knowledge-gap report: missing-knowledge flags and tickets where no shown article was judged
 * relevant, clustered (kb-gaps-grouping.ts), each cluster with its closest existing articles and
 * whether a newer article now answers it; and the articles labelled outdated with their flag counts
 * and the tickets that triggered them. An agent's later relevance label on the same article of the
 * same suggestion replaces an earlier one, for both parts.
 */
export async function buildKbGapReport(
  database: Database,
  scope: ExportScope,
  grouper: MissingGrouper = createMissingGrouper(),
): Promise<KbGapReport> {
  const noRelevant = await noRelevantTickets(database, scope);
  const noRelevantCount = noRelevant.size;
  let missingFlags = 0;
  const pages = eventPages<{
    ticket_id: string;
    suggestion_id: string;
    payload: { description: string; proposedTitle?: string; category?: string };
    context: TicketContext | null;
    received_at: string;
  }>(database, scope, {
    select: `e.ticket_id, e.suggestion_id::text as suggestion_id, e.payload, s.context,
             to_char(e.received_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as received_at`,
    joins: 'left join suggestions s on s.id = e.suggestion_id and s.tenant_id = e.tenant_id',
    where: () => [`e.type = 'knowledge.missing'`],
  });
  const flaggedSuggestions = new Set<string>();
  for await (const page of pages) {
    const queries = page.map((row) => (row.context ? queryFromTicket(row.context) : ''));
    const flagTexts = page.map((row) => [row.payload.proposedTitle, row.payload.description].filter(Boolean).join('\n'));
    const [queryTerms, flagTerms] = [await stemmedLexemes(database, queries), await stemmedLexemes(database, flagTexts)];
    page.forEach((row, i) => {
      grouper.add({
        kind: 'flag',
        ticketId: row.ticket_id,
        suggestionId: row.suggestion_id,
        query: queries[i]!,
        queryTerms: queryTerms[i]!,
        description: row.payload.description,
        proposedTitle: row.payload.proposedTitle,
        category: row.payload.category,
        flagTerms: flagTerms[i]!,
        noRelevant: noRelevant.has(row.suggestion_id),
        receivedAt: row.received_at,
      });
      flaggedSuggestions.add(row.suggestion_id);
      missingFlags++;
    });
  }
  // A flagged ticket is already in its flags' clusters (counted there as a no-relevant ticket);
  // the others join the clustering on their query alone.
  const unflagged = [...noRelevant.values()].filter((t) => !flaggedSuggestions.has(t.suggestionId));
  for (let i = 0; i < unflagged.length; i += scope.pageSize) {
    const page = unflagged.slice(i, i + scope.pageSize);
    const terms = await stemmedLexemes(database, page.map((t) => t.query));
    page.forEach((t, j) => grouper.add({ kind: 'ticket', ...t, queryTerms: terms[j]!, noRelevant: true }));
  }
  for await (const page of answeredTickets(database, scope)) {
    const terms = await stemmedLexemes(database, page.map((row) => queryFromTicket(row.context)));
    page.forEach((row, i) => grouper.addAnswered({ ticketId: row.ticket_id, queryTerms: terms[i]!, articleIds: row.article_ids }));
  }
  const groups = grouper.groups();
  const answeredTitles = await articleRefs(database, scope.tenantId, groups.flatMap((g) => g.answered.articles.map((a) => a.articleId)));
  const near = await nearArticles(database, scope.tenantId, groups);
  const missing: KbGapCluster[] = groups.map((group, i) => ({
    ...group,
    answeredBy: group.answered.articles.map((a) => ({ ...(answeredTitles.get(a.articleId) ?? { articleId: a.articleId, title: a.articleId, url: null }), tickets: a.tickets })),
    ...near[i]!,
  }));
  // What to write first: likely gaps before likely retrieval misses, each largest first.
  missing.sort((a, b) => Number(a.retrievalMiss) - Number(b.retrievalMiss));
  return {
    method: grouper.method,
    missing,
    missingFlags,
    noRelevantTickets: noRelevantCount,
    outdated: await outdatedArticles(database, scope),
  };
}

/**
 * Suggestions in the scope whose agents labelled shown articles and, by each agent's latest label
 * of each article, none relevant or partly relevant. Their time is the newest such label's receipt.
 */
async function noRelevantTickets(database: Database, scope: ExportScope) {
  const params = new Params();
  const conditions = [
    ...eventConditions(scope, params),
    `e.type = 'knowledge.relevance'`,
    notSuperseded('knowledge.relevance', params, `and later.payload->>'articleId' = e.payload->>'articleId'`),
  ];
  const rows = await database.query<{ suggestion_id: string; ticket_id: string; context: TicketContext; received_at: string }>(
    `select s.id::text as suggestion_id, s.ticket_id, s.context, l.received_at
       from (select e.suggestion_id,
                    to_char(max(e.received_at) at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as received_at
               from events e
              where ${conditions.join(' and ')}
              group by e.suggestion_id
             having bool_and(e.payload->>'label' in ('irrelevant', 'outdated'))) l
       join suggestions s on s.id = l.suggestion_id
      order by l.received_at, s.id`,
    params.values,
  );
  const out = new Map<string, Omit<GapItem, 'kind' | 'queryTerms' | 'noRelevant'>>();
  for (const row of rows) {
    out.set(row.suggestion_id, {
      ticketId: row.ticket_id,
      suggestionId: row.suggestion_id,
      query: queryFromTicket(row.context),
      receivedAt: row.received_at,
    });
  }
  return out;
}

/**
 * Suggestions in the scope where, by each agent's latest label, some shown article was relevant or
 * partly relevant; with those articles. Read page by page.
 */
function answeredTickets(database: Database, scope: ExportScope) {
  return keysetPages<{ ticket_id: string; context: TicketContext; article_ids: string[] } & KeysetRow>(database, scope.pageSize, (params, after) => {
    const conditions = [
      ...eventConditions(scope, params),
      `e.type = 'knowledge.relevance'`,
      notSuperseded('knowledge.relevance', params, `and later.payload->>'articleId' = e.payload->>'articleId'`),
    ];
    return `select s.ticket_id, s.context, l.article_ids, s.created_at::text as cursor_time, s.id::text as cursor_id
              from (select e.suggestion_id,
                           array_agg(distinct e.payload->>'articleId') filter (where e.payload->>'label' in ('relevant', 'partly')) as article_ids
                      from events e
                     where ${conditions.join(' and ')}
                     group by e.suggestion_id) l
              join suggestions s on s.id = l.suggestion_id
             where l.article_ids is not null ${afterCursor(params, after, 's.created_at', 's.id').map((c) => `and ${c}`).join(' ')}
             order by s.created_at, s.id
             limit ${scope.pageSize}`;
  });
}

/** Titles and URLs of articles by their own ids; ids no longer in the knowledge base are left out. */
async function articleRefs(database: Database, tenantId: string, ids: string[]): Promise<Map<string, ArticleRef>> {
  if (!ids.length) return new Map();
  const rows = await database.query<{ article_id: string; title: string; url: string | null }>(
    `select external_id as article_id, title, url from kb_articles where tenant_id = $1::uuid and external_id = any($2::text[])`,
    [tenantId, [...new Set(ids)]],
  );
  return new Map(rows.map((r) => [r.article_id, { articleId: r.article_id, title: r.title, url: r.url }]));
}

/**
 * Each cluster's closest articles (retrieval of its title and representative queries), and whether
 * it is covered (COVERED_DEFINITION). Only clusters older than the newest article are checked ticket
 * by ticket. Every text of every cluster is retrieved in one batch (retrieveLexicalAll: the lists
 * retrieveLexical gives), so a report of a few hundred clusters costs seconds, not minutes.
 */
async function nearArticles(database: Database, tenantId: string, groups: MissingGroup[]) {
  const [latest] = await database.query<{ at: string | null }>(
    `select to_char(max(greatest(created_at, updated_at)) at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at from kb_articles where tenant_id = $1::uuid`,
    [tenantId],
  );
  const texts: string[] = [];
  const plans = groups.map((group) => {
    const closest = texts.push([group.title, ...group.texts.slice(0, 3)].join('\n')) - 1;
    const members = group.texts.length ? group.texts : [group.title];
    const checked = latest?.at && latest.at > group.newestAt ? members.map((text) => texts.push(text) - 1) : [];
    return { closest, members: members.length, checked };
  });
  const lists = await retrieveLexicalAll(database, tenantId, texts, RETRIEVAL_CHUNKS);
  const topIds = (i: number, n: number) => [...new Set(lists[i]!.map((c) => c.articleId))].slice(0, n);
  const ids = new Set(plans.flatMap((p) => [...topIds(p.closest, CLOSEST_ARTICLES), ...p.checked.flatMap((i) => topIds(i, COVER_DEPTH))]));
  const rows = ids.size
    ? await database.query<{ article_id: string; title: string; url: string | null; updated_at: string }>(
        `select external_id as article_id, title, url,
                to_char(greatest(created_at, updated_at) at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as updated_at
           from kb_articles where tenant_id = $1::uuid and external_id = any($2::text[])`,
        [tenantId, [...ids]],
      )
    : [];
  const byId = new Map(rows.map((r) => [r.article_id, r]));
  const refs = (i: number, n: number) =>
    topIds(i, n).flatMap((id) => {
      const r = byId.get(id);
      return r ? [{ articleId: r.article_id, title: r.title, url: r.url, updatedAt: r.updated_at }] : [];
    });
  return plans.map((plan, g) => {
    const group = groups[g]!;
    const coveredBy = new Map<string, ArticleRef & { tickets: number }>();
    let answered = 0;
    for (const i of plan.checked) {
      const fresh = refs(i, COVER_DEPTH).filter((a) => a.updatedAt > group.newestAt);
      if (fresh.length) answered++;
      for (const { updatedAt: _, ...a } of fresh) coveredBy.set(a.articleId, { ...a, tickets: (coveredBy.get(a.articleId)?.tickets ?? 0) + 1 });
    }
    const covered = answered > 0 && answered >= COVERED_SHARE * plan.members;
    return {
      closestArticles: refs(plan.closest, CLOSEST_ARTICLES).map(({ updatedAt: _, ...a }) => a),
      covered,
      coveredBy: covered ? [...coveredBy.values()].sort((a, b) => b.tickets - a.tickets).map(({ tickets: _, ...a }) => a) : [],
    };
  });
}

async function outdatedArticles(database: Database, scope: ExportScope): Promise<OutdatedArticle[]> {
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
  return rows.map((r) => ({
    articleId: r.article_id,
    title: r.title,
    url: r.url,
    flags: r.flags,
    tickets: r.tickets,
    exampleTickets: r.example_tickets ?? [],
  }));
}

/** An article as a Markdown link when it has a URL. */
function articleLink(a: ArticleRef): string {
  return a.url ? `[${mdCell(a.title)}](${a.url.replaceAll(')', '%29')})` : mdCell(a.title);
}

/** The report as Markdown: a heading per part, one table row per cluster or article. */
export function kbGapMarkdown(report: KbGapReport, scopeText: string, generatedAt: Date): string {
  const covered = report.missing.filter((g) => g.covered).length;
  const misses = report.missing.filter((g) => g.retrievalMiss).length;
  const lines = [
    '# Knowledge-base gap report',
    '',
    `Generated ${generatedAt.toISOString()} from ${scopeText}.`,
    '',
    `## Missing knowledge: ${report.missingFlags} ${plural(report.missingFlags, 'flag')} and ${report.noRelevantTickets} ${plural(report.noRelevantTickets, 'ticket')} with nothing relevant in ${report.missing.length} ${plural(report.missing.length, 'cluster')}, ${misses} likely retrieval ${plural(misses, 'miss', 'misses')}, ${covered} covered`,
    '',
    `Clustering: ${report.method}. Covered: ${COVERED_DEFINITION}. Likely gaps come first, then likely retrieval misses (the articles exist; retrieval did not show them for these phrasings).`,
    '',
  ];
  if (report.missing.length) {
    lines.push(
      '| # | Cluster | Flags | Nothing relevant | Tickets | Covered | Closest articles | Similar tickets answered | Categories | Example tickets | Example descriptions |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
    );
    report.missing.forEach((g, i) => {
      const coveredCell = g.covered ? `yes: ${g.coveredBy.map(articleLink).join(', ')}` : 'no';
      const answeredCell = g.answered.tickets
        ? `${g.retrievalMiss ? '**likely retrieval miss**: ' : ''}${g.answered.tickets}, by ${g.answeredBy.map((a) => `${articleLink(a)} (${a.tickets})`).join(', ')}`
        : '0';
      lines.push(
        `| ${i + 1} | ${mdCell(g.title)} | ${g.flags} | ${g.noRelevantTickets} | ${g.tickets} | ${coveredCell} | ${g.closestArticles.map(articleLink).join('<br>')} | ${answeredCell} | ${mdCell(g.categories.map((c) => `${c.category} (${c.flags})`).join(', '))} | ${mdCell(g.exampleTickets.join(', '))} | ${mdCell(g.exampleDescriptions.join(' / '))} |`,
      );
    });
  } else {
    lines.push('No missing knowledge was flagged, and every labelled ticket had a relevant article.');
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
      const title = a.title === null ? '(no longer in the knowledge base)' : articleLink({ articleId: a.articleId, title: a.title, url: a.url });
      lines.push(`| ${mdCell(a.articleId)} | ${title} | ${a.flags} | ${a.tickets} | ${mdCell(a.exampleTickets.join(', '))} |`);
    }
  } else {
    lines.push('No article was labelled outdated.');
  }
  return `${lines.join('\n')}\n`;
}

export const KB_GAP_CSV_COLUMNS = [
  'section',
  'key',
  'title',
  'flags',
  'no_relevant_tickets',
  'tickets',
  'covered',
  'covered_by',
  'closest_articles',
  'closest_titles',
  'similar_answered_tickets',
  'answered_by',
  'retrieval_miss',
  'categories',
  'example_tickets',
  'example_descriptions',
];

/**
 * The report as one CSV table: `section` is `missing` (key: the cluster's number) or `outdated`
 * (key: the article id); lists inside a cell are separated by `; `; `covered` and `retrieval_miss`
 * are `yes` or `no` for clusters; `covered_by`, `closest_articles` and `answered_by` article ids,
 * `closest_titles` the closest articles' titles.
 */
export function kbGapCsv(report: KbGapReport): string {
  let out = csvRow(KB_GAP_CSV_COLUMNS);
  report.missing.forEach((g, i) => {
    out += csvRow([
      'missing',
      String(i + 1),
      g.title,
      g.flags,
      g.noRelevantTickets,
      g.tickets,
      g.covered ? 'yes' : 'no',
      g.coveredBy.map((a) => a.articleId).join('; '),
      g.closestArticles.map((a) => a.articleId).join('; '),
      g.closestArticles.map((a) => a.title).join('; '),
      g.answered.tickets,
      g.answeredBy.map((a) => a.articleId).join('; '),
      g.retrievalMiss ? 'yes' : 'no',
      g.categories.map((c) => `${c.category} (${c.flags})`).join('; '),
      g.exampleTickets.join('; '),
      g.exampleDescriptions.join('; '),
    ]);
  });
  for (const a of report.outdated) out += csvRow(['outdated', a.articleId, a.title ?? '', a.flags, '', a.tickets, '', '', '', '', '', '', '', '', a.exampleTickets.join('; '), '']);
  return out;
}

function plural(n: number, word: string, many = `${word}s`): string {
  return n === 1 ? word : many;
}
