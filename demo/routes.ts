/**
 * The demo helpdesk: a Zendesk-Agent-Workspace-style page, a Freshdesk-style and a Help Scout-style
 * page, all over one ticket store and its small JSON API.
 * Mount with `app.route('/demo', createDemoApp({ tickets, assetsDir }))`.
 */
import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { Hono, type Context } from 'hono';
import { describeIssues } from '../lib/contract/common';
import {
  DemoCommentInput,
  type DemoApiTicket,
  type DemoTicket,
  type DemoTicketSummary,
} from './tickets';

export interface DemoAppOptions {
  tickets: DemoTicket[];
  /** Folder holding the built client (`app.js`, `app.css`), normally `.output/demo`. */
  assetsDir: string;
}

/**
 * Like Zendesk's: no inline or third-party script, so the extension is exercised under a strict CSP
 * (every demo page has it). Styles allow 'unsafe-inline' because CKEditor 5 sets style attributes on its UI.
 */
export const DEMO_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

const AGENT_NAME = 'Demo Agent';
/** First comment id; ids are handed out in load order, so they are stable for a given fixture. */
const FIRST_COMMENT_ID = 1_000_001;

interface DemoStore {
  tickets: Map<number, DemoApiTicket>;
  nextCommentId: number;
}

function buildStore(source: DemoTicket[]): DemoStore {
  const store: DemoStore = { tickets: new Map(), nextCommentId: FIRST_COMMENT_ID };
  for (const ticket of structuredClone(source)) {
    const comments = ticket.comments.map((comment) => ({ ...comment, id: store.nextCommentId++ }));
    store.tickets.set(ticket.id, { ...ticket, comments, updatedAt: lastActivity(comments) });
  }
  return store;
}

function lastActivity(comments: { createdAt: string }[]): string {
  let latest = 0;
  for (const comment of comments) latest = Math.max(latest, Date.parse(comment.createdAt) || 0);
  return new Date(latest).toISOString();
}

function summarize(ticket: DemoApiTicket): DemoTicketSummary {
  return {
    id: ticket.id,
    subject: ticket.subject,
    status: ticket.status,
    requesterName: ticket.requester.name,
    updatedAt: ticket.updatedAt,
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** One page of the demo: its bundle (`<entry>.js` and `.css` in the assets folder) and its title. */
interface DemoPage {
  entry: 'app' | 'freshdesk' | 'helpscout';
  title: string;
  loading: string;
}

const PAGES = {
  zendesk: { entry: 'app', title: 'Agent Workspace – Loopdesk demo helpdesk', loading: 'Loading the agent workspace…' },
  freshdesk: { entry: 'freshdesk', title: 'Tickets – Freshdesk-style Loopdesk demo', loading: 'Loading tickets…' },
  helpscout: { entry: 'helpscout', title: 'Inbox – Help Scout-style Loopdesk demo', loading: 'Loading conversations…' },
} as const satisfies Record<string, DemoPage>;

function shellHtml(base: string, page: DemoPage): string {
  const b = escapeHtml(base);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="${page.entry === 'app' ? 'light dark' : 'light'}">
<title>${escapeHtml(page.title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${b}/assets/${page.entry}.css">
<script type="module" src="${b}/assets/${page.entry}.js"></script>
</head>
<body>
<div id="app" class="dh-boot" aria-busy="true">${escapeHtml(page.loading)}</div>
<noscript>The demo helpdesk needs JavaScript.</noscript>
</body>
</html>
`;
}

/** Positive integer from a path segment, or null (`"12"` → 12; `"12a"`, `"0"`, `"-1"` → null). */
function parseId(raw: string): number | null {
  if (!/^[1-9]\d{0,14}$/.test(raw)) return null;
  return Number(raw);
}

export function createDemoApp(opts: DemoAppOptions): Hono {
  const app = new Hono();
  const assetsRoot = resolve(opts.assetsDir);
  // The demo's own store: a deep copy, so posts never touch the caller's array.
  let store = buildStore(opts.tickets);
  const firstId = opts.tickets[0]?.id;

  const notFound = (id: string) => ({ error: `ticket ${id} not found` });

  const toFirst = (path: (id: number) => string) => (c: Context) =>
    firstId === undefined ? c.text('no demo tickets', 404) : c.redirect(`${basePath(c.req.path)}${path(firstId)}`, 302);
  const page = (which: DemoPage) => (c: Context) => {
    c.header('Content-Security-Policy', DEMO_CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'same-origin');
    c.header('Cache-Control', 'no-store');
    return c.html(shellHtml(basePath(c.req.path), which));
  };

  // Zendesk style. The shell serves any id: the client renders the ticket (or its own "not found").
  const zendeskFirst = toFirst((id) => `/agent/tickets/${id}`);
  app.get('/agent', zendeskFirst);
  app.get('/agent/', zendeskFirst);
  app.get('/agent/tickets/:id', page(PAGES.zendesk));

  // Freshdesk style: /a/tickets/:id, as in Freshdesk's agent UI.
  const freshdeskFirst = toFirst((id) => `/freshdesk/a/tickets/${id}`);
  for (const path of ['/freshdesk', '/freshdesk/', '/freshdesk/a/tickets']) app.get(path, freshdeskFirst);
  app.get('/freshdesk/a/tickets/:id', page(PAGES.freshdesk));

  // Help Scout style: /conversation/:id/:number; the demo's number is the ticket id.
  const helpscoutFirst = toFirst((id) => `/helpscout/conversation/${id}/${id}`);
  for (const path of ['/helpscout', '/helpscout/']) app.get(path, helpscoutFirst);
  app.get('/helpscout/conversation/:id/:number', page(PAGES.helpscout));

  app.get('/assets/:file{.+}', async (c) => {
    const rel = c.req.param('file');
    const file = resolve(assetsRoot, rel);
    if (rel.includes('\0') || !file.startsWith(assetsRoot + sep)) return c.text('not found', 404);
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch {
      return c.text('not found', 404);
    }
    c.header('Content-Type', CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Cache-Control', 'no-cache');
    return c.body(new Uint8Array(data));
  });

  app.get('/api/tickets', (c) => {
    const rows = [...store.tickets.values()].map(summarize);
    return c.json(rows);
  });

  app.get('/api/tickets/:id', (c) => {
    const id = parseId(c.req.param('id'));
    const ticket = id === null ? undefined : store.tickets.get(id);
    return ticket ? c.json(ticket) : c.json(notFound(c.req.param('id')), 404);
  });

  app.post('/api/tickets/:id/comments', async (c) => {
    const id = parseId(c.req.param('id'));
    const ticket = id === null ? undefined : store.tickets.get(id);
    if (!ticket) return c.json(notFound(c.req.param('id')), 404);
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      return c.json({ error: 'request body is not valid JSON' }, 400);
    }
    const parsed = DemoCommentInput.safeParse(raw);
    if (!parsed.success) return c.json({ error: describeIssues(parsed.error) }, 400);
    const now = new Date().toISOString();
    ticket.comments.push({
      id: store.nextCommentId++,
      author: 'agent',
      authorName: AGENT_NAME,
      body: parsed.data.body,
      createdAt: now,
    });
    // Like Zendesk, a reply on a new ticket opens it unless another status is chosen.
    ticket.status = parsed.data.status ?? (ticket.status === 'new' ? 'open' : ticket.status);
    ticket.updatedAt = now;
    return c.json(ticket);
  });

  // Test helper: back to the tickets the app was created with.
  app.post('/api/reset', (c) => {
    store = buildStore(opts.tickets);
    return c.json({ tickets: store.tickets.size });
  });

  return app;
}

/** The mount prefix (`/demo`): what precedes the first page segment (`/agent`, `/freshdesk`, `/helpscout`). */
function basePath(fullPath: string): string {
  return /^(.*?)\/(?:agent|freshdesk|helpscout)(?:\/|$)/.exec(fullPath)?.[1] ?? '';
}
