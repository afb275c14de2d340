/**
 * Shared pieces of the property-based fuzz tests (tests/server/fuzz.test.ts): how many inputs to
 * generate, text that is hard on parsers and databases, and valid Contract v1 values to mutate.
 */
import fc from 'fast-check';
import { EVENT_TYPES, type AnnotationEventInput, type KbArticleInput, type TicketContextInput } from '../../lib/contract';

const FUZZ_MODE = import.meta.env?.MODE === 'fuzz';

/**
 * Inputs per property: 1,000 under `npm test`, 10,000 under `npm run fuzz` (vitest `--mode fuzz`),
 * or FUZZ_RUNS when set. FUZZ_SEED replays a failure's seed, as printed by fast-check.
 */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS) || (FUZZ_MODE ? 10_000 : 1_000);
export const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

/**
 * Inputs per database for a property that runs on each database kind. Under `npm test` the 1,000
 * are shared out (500 on PGlite and 500 on PostgreSQL when DATABASE_URL is set), which keeps the
 * fuzz tests within a minute on a 2-core machine; under `npm run fuzz` or with FUZZ_RUNS, each
 * database gets them all.
 */
export function runsPerDatabase(kinds: number): number {
  return FUZZ_MODE || process.env.FUZZ_RUNS ? FUZZ_RUNS : Math.ceil(FUZZ_RUNS / kinds);
}

/** vitest timeout for a property of `runs` inputs at about `msPerRun` each, with room for a slow machine. */
export function fuzzTimeout(msPerRun: number, runs = FUZZ_RUNS): number {
  return Math.max(60_000, runs * msPerRun * 4);
}

export function fuzzParams(runs = FUZZ_RUNS): fc.Parameters<unknown> {
  return { numRuns: runs, seed: FUZZ_SEED, verbose: 0 };
}

/**
 * Characters that broke or could break something: U+0000 and unpaired surrogates (PostgreSQL stores
 * neither), a BOM, line and paragraph separators, CR, right-to-left and zero-width marks, combining
 * marks, emoji (surrogate pairs), quotes, backslashes, JSON and YAML syntax, HTML.
 */
const NASTY_UNITS = [
  '\u0000',
  '\ud800',
  '\udfff',
  '\ud83d',
  '\ude00',
  '\uFEFF',
  '\u2028',
  '\u2029',
  '\r',
  '\r\n',
  '\n',
  '\t',
  '\u200B',
  '\u200E',
  '\u202E',
  '\u0301',
  '\u{1F600}',
  '\u{10FFFF}',
  '\uFFFD',
  '"',
  "'",
  '\\',
  '{',
  '}',
  '[',
  ']',
  ':',
  ',',
  '#',
  '---',
  '<p>',
  '</h2>',
  '<script>',
  '&amp;',
  '%00',
  ' ',
];

/** One unit of text: mostly ordinary, sometimes any code point, sometimes one of the nasty ones. */
const textUnit = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom(...NASTY_UNITS) },
);

/** Text of up to `maxLength` units (a unit may be several UTF-16 code units). */
export function text(maxLength = 40, minLength = 0): fc.Arbitrary<string> {
  return fc.string({ unit: textUnit, minLength, maxLength });
}

/** Text the contract accepts for a bounded field, kept within `max` UTF-16 code units. */
function boundedText(max: number, min = 0): fc.Arbitrary<string> {
  return text(Math.min(max, 40), min).map((s) => s.slice(0, max)).filter((s) => s.length >= min);
}

/** Sometimes very long text: the contract's limits are in UTF-16 code units. */
export function hugeText(): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom('a', 'é', '\u{1F600}', ' ', '\u0000', 'x\n'), fc.integer({ min: 1_000, max: 60_000 })).map(([unit, n]) => unit.repeat(n));
}

const uuidAny = fc.uuid({ version: [1, 2, 3, 4, 5, 6, 7, 8] });
const uuid7 = fc.uuid({ version: 7 });

/** ISO 8601 timestamps, in UTC or with an offset, over the years PostgreSQL and JavaScript share. */
const timestamp = fc
  .tuple(
    fc.date({ min: new Date('0001-01-02T00:00:00Z'), max: new Date('9999-12-30T00:00:00Z'), noInvalidDate: true }),
    fc.constantFrom('Z', '+00:00', '+05:30', '-08:00', '+14:00', '-12:00'),
  )
  .map(([date, offset]) => {
    const iso = date.toISOString();
    if (offset === 'Z') return iso;
    // The same wall-clock digits with an offset: a different instant, still a valid timestamp.
    return `${iso.slice(0, -1)}${offset}`;
  });

const experiment = fc.option(fc.record({ key: boundedText(64, 1), arm: boundedText(64, 1) }), { nil: null });

const common = {
  id: uuid7,
  schemaVersion: fc.constant(1 as const),
  helpdesk: fc.constantFrom('zendesk', 'freshdesk', 'helpscout'),
  ticketId: boundedText(128, 1),
  suggestionId: uuidAny,
  experiment,
  createdAt: timestamp,
  clientVersion: boundedText(32, 1),
};

const score = fc.double({ noNaN: true, noDefaultInfinity: true });
const rank = fc.integer({ min: 1, max: 100 });

const byType = {
  'suggestion.shown': {
    candidates: fc.array(
      fc.record({ id: boundedText(128, 1), arm: boundedText(64), model: boundedText(128), side: fc.constantFrom('left', 'right', 'single') }),
      { minLength: 1, maxLength: 4 },
    ),
    articles: fc.array(fc.record({ articleId: boundedText(128, 1), chunkId: boundedText(128, 1), rank, score }, { requiredKeys: ['articleId', 'rank', 'score'] }), {
      maxLength: 5,
    }),
    latencyMs: fc.double({ min: 0, max: 600_000, noNaN: true }),
  },
  preference: {
    candidateA: boundedText(128, 1),
    candidateB: boundedText(128, 1),
    choice: fc.constantFrom('A_much_better', 'A_better', 'A_slightly_better', 'tie', 'B_slightly_better', 'B_better', 'B_much_better'),
    bothUnusable: fc.boolean(),
  },
  adoption: {
    candidateId: fc.option(boundedText(128, 1), { nil: null }),
    insertMethod: fc.option(fc.constantFrom('insert', 'paste', 'copy', 'typed'), { nil: null }),
    outcome: fc.constantFrom('verbatim', 'edited', 'partial', 'not_used'),
    similarity: fc.double({ min: 0, max: 1, noNaN: true }),
    editDistance: fc.nat(),
    timeToSendMs: fc.option(fc.double({ min: 0, max: 1e12, noNaN: true }), { nil: null }),
    sendPath: fc.constantFrom('button', 'status_menu', 'shortcut', 'comment_appeared'),
    finalText: boundedText(50_000),
  },
  'knowledge.relevance': {
    articleId: boundedText(128, 1),
    chunkId: boundedText(128, 1),
    rank,
    label: fc.constantFrom('relevant', 'partly', 'irrelevant', 'outdated'),
  },
  'knowledge.missing': {
    description: boundedText(2_000, 1),
    proposedTitle: boundedText(300),
    category: boundedText(100),
  },
} as const;

const OPTIONAL_KEYS = new Set(['chunkId', 'proposedTitle', 'category', 'rationale', 'tenantId', 'agentId']);

/**
 * Events shaped like Contract v1 annotation events, one type at a time. Most are valid; text fields
 * may hold characters the database cannot store, which the server must reject by field.
 */
export const eventLike: fc.Arbitrary<AnnotationEventInput> = fc.constantFrom(...EVENT_TYPES).chain((type) => {
  const fields = { ...common, ...byType[type], type: fc.constant(type) } as Record<string, fc.Arbitrary<unknown>>;
  const required = Object.keys(fields).filter((k) => !OPTIONAL_KEYS.has(k));
  return fc.record(fields, { requiredKeys: required }) as fc.Arbitrary<AnnotationEventInput>;
});

/** Values of the wrong type, or right type and wrong content, for any field. */
export const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constant(''),
  text(10),
  hugeText(),
  fc.constant('not-a-uuid'),
  fc.constant('0000-01-01T00:00:00Z'),
  fc.constant('0000-06-01T00:00:00+01:00'),
  fc.constant('9999-12-31T23:59:59-05:00'),
  fc.constant('2024-02-30T10:00:00Z'),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(text(5), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
);

/** A JSON value of any shape, with strings that include the nasty characters. */
export const anyJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 4, stringUnit: textUnit });

/** A valid ticket context for /v1/suggest, with nasty text. */
export const ticketLike: fc.Arbitrary<TicketContextInput> = fc.record(
  {
    helpdesk: fc.constantFrom('zendesk', 'freshdesk', 'helpscout'),
    ticketId: boundedText(128, 1),
    subject: boundedText(1_000),
    messages: fc.array(
      fc.record(
        { author: fc.constantFrom('customer', 'agent', 'system'), text: boundedText(50_000), createdAt: boundedText(64), internal: fc.boolean() },
        { requiredKeys: ['author', 'text'] },
      ),
      { maxLength: 4 },
    ),
    locale: boundedText(35),
    tags: fc.array(boundedText(100), { maxLength: 4 }),
  },
  { requiredKeys: ['helpdesk', 'ticketId'] },
);

/** An article as the import formats carry it, with nasty text. */
export const articleLike: fc.Arbitrary<KbArticleInput> = fc.record(
  {
    id: boundedText(256, 1),
    title: boundedText(1_000, 1),
    body: fc.oneof({ weight: 9, arbitrary: text(200) }, { weight: 1, arbitrary: hugeText() }),
    url: boundedText(2_000),
    locale: boundedText(35),
  },
  { requiredKeys: ['id', 'title', 'body'] },
);

/** Every string in a value, object keys included. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      strings(v, out);
    }
  }
  return out;
}

/** What PostgreSQL can hold: no U+0000, no unpaired surrogate (the tests' own statement of the rule). */
export function storable(value: unknown): boolean {
  return strings(value).every((s) => !s.includes('\u0000') && (s as unknown as { isWellFormed(): boolean }).isWellFormed());
}

/** `path: message` for every issue (`; `-separated), the form every field error takes. */
export const NAMES_A_FIELD = /^([A-Za-z_$][\w$]*(\[\d+\]|\.[^.[\]:;\s]+)*): /;

/** True when every `; `-separated part of a zod-style error names a field path. */
export function namesFields(error: string, prefix?: string): boolean {
  return error.split('; ').every((part) => {
    const match = NAMES_A_FIELD.exec(part);
    return match !== null && (prefix === undefined || match[1]!.startsWith(prefix));
  });
}
