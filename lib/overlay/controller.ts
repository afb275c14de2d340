import { classifyAdoption, compareReply, DEFAULT_ADOPTION_THRESHOLDS } from '../adoption/similarity';
import {
  TicketContext,
  type AnnotationEvent,
  type CandidateSide,
  type PreferenceChoice,
  type RelevanceLabel,
  type SendPath,
  type SuggestPortMessage,
  type SuggestResponse,
} from '../contract';
import { callBridge } from '../helpdesks/bridge-client';
import { htmlToText } from '../helpdesks/text';
import type { HelpdeskAdapter } from '../helpdesks/types';
import { askBackground, streamFromBackground } from '../messaging';
import { redact } from '../redact';
import { buildEvent, type EventBase } from './events';
import { overlayStore, updateTicket, type TicketState } from './store';

/** Two send signals for one reply (a shortcut that also clicks, a double click) count once. */
const SEND_DEDUP_MS = 1_500;

export interface OverlayController {
  /** Re-reads which ticket is active and loads its suggestions when needed. */
  refresh(): void;
  insert(candidateId: string): void;
  copy(candidateId: string): Promise<void>;
  rateArticle(articleId: string, label: RelevanceLabel): void;
  prefer(choice: PreferenceChoice | 'both_unusable'): void;
  retry(): void;
  /** Called from the capture-phase listeners, before the helpdesk handles the send. */
  onSend(path: SendPath): void;
  onPaste(text: string): void;
}

export function createOverlayController(adapter: HelpdeskAdapter, clientVersion: string): OverlayController {
  const ticket = (id: string | null): TicketState | undefined => (id ? overlayStore.getState().tickets[id] : undefined);
  const active = () => ticket(overlayStore.getState().activeTicketId);
  let lastSendAt = 0;

  const base = (t: TicketState): EventBase | null =>
    t.suggestion ? { helpdesk: adapter.helpdesk, ticketId: t.ticketId, suggestion: t.suggestion, clientVersion } : null;

  function record(event: AnnotationEvent) {
    askBackground({ type: 'record-event', event }).then(
      () => {
        if (overlayStore.getState().notice) overlayStore.setState({ notice: null });
      },
      (err: Error) => {
        // The agent must know an annotation was not kept (e.g. the browser's storage is full).
        console.warn(`[loopdesk] could not queue ${event.type}: ${err.message}`);
        overlayStore.setState({ notice: `Your feedback was not saved: ${err.message}` });
      },
    );
  }

  /** One suggestion stream per ticket; a retry replaces (and cancels) the ticket's previous one. */
  const streams = new Map<string, { cancel(): void }>();

  function recordShown(ticketId: string) {
    const t = ticket(ticketId);
    const suggestion = t?.suggestion;
    if (!t || !suggestion) return;
    record(
      buildEvent(base(t)!, {
        type: 'suggestion.shown',
        candidates: t.order.map((id, i) => {
          const c = suggestion.candidates.find((x) => x.id === id)!;
          const side: CandidateSide = t.order.length === 1 ? 'single' : i === 0 ? 'left' : 'right';
          return { id, arm: c.arm, model: c.model, side };
        }),
        articles: suggestion.articles.map((a) => ({ articleId: a.articleId, chunkId: a.chunkId, rank: a.rank, score: a.score })),
        latencyMs: suggestion.latencyMs,
      }),
    );
  }

  /** Applies one stream event to the ticket's state. */
  function onStreamEvent(ticketId: string, event: SuggestPortMessage) {
    switch (event.type) {
      case 'meta': {
        const ids = event.candidates.map((c) => c.id);
        // Sides are randomized so that position does not bias the preference; the order is recorded.
        const order = ids.length === 2 && Math.random() < 0.5 ? [ids[1]!, ids[0]!] : ids;
        const suggestion: SuggestResponse = {
          suggestionId: event.suggestionId,
          experiment: event.experiment,
          articles: event.articles,
          candidates: event.candidates.map((c) => ({ ...c, text: '', citations: [] })),
          latencyMs: 0,
        };
        updateTicket(ticketId, { status: 'streaming', suggestion, order, pending: ids, error: undefined });
        return;
      }
      case 'delta':
        updateTicket(ticketId, (t) => ({
          suggestion: t.suggestion && {
            ...t.suggestion,
            candidates: t.suggestion.candidates.map((c) => (c.id === event.candidateId ? { ...c, text: c.text + event.text } : c)),
          },
        }));
        return;
      case 'candidate':
        updateTicket(ticketId, (t) => ({
          suggestion: t.suggestion && {
            ...t.suggestion,
            candidates: t.suggestion.candidates.map((c) => (c.id === event.candidate.id ? event.candidate : c)),
          },
          pending: t.pending.filter((id) => id !== event.candidate.id),
        }));
        return;
      case 'done': {
        streams.delete(ticketId);
        const t = ticket(ticketId);
        if (!t?.suggestion) return;
        updateTicket(ticketId, {
          status: 'ready',
          pending: [],
          shownAt: Date.now(),
          suggestion: { ...t.suggestion, latencyMs: event.latencyMs },
        });
        // The exposure is recorded once the final candidates are known: they are what was shown.
        recordShown(ticketId);
        return;
      }
      case 'error':
        streams.delete(ticketId);
        // A half-built suggestion was never stored on the server, so nothing may refer to it.
        updateTicket(ticketId, { status: 'error', error: event.error, suggestion: undefined, order: [], pending: [] });
        return;
    }
  }

  function load(ticketId: string) {
    const raw = adapter.readContext();
    const parsed = TicketContext.safeParse(raw);
    if (!parsed.success) {
      updateTicket(ticketId, { status: 'error', error: 'could not read this ticket' });
      return;
    }
    const context = parsed.data;
    // Personal data is replaced before the ticket leaves the browser.
    context.subject = redact(context.subject);
    context.messages = context.messages.map((m) => ({ ...m, text: redact(m.text) }));
    streams.get(ticketId)?.cancel();
    try {
      streams.set(ticketId, streamFromBackground(context, (event) => onStreamEvent(ticketId, event)));
    } catch (err) {
      // The extension was reloaded under this page: its runtime is gone until the page reloads.
      updateTicket(ticketId, { status: 'error', error: (err as Error).message });
    }
  }

  function startTicket(ticketId: string) {
    overlayStore.setState((s) => ({
      tickets: { ...s.tickets, [ticketId]: { ticketId, status: 'loading', order: [], pending: [], copied: [], relevance: {} } },
    }));
    load(ticketId);
  }

  const controller: OverlayController = {
    refresh() {
      const ticketId = adapter.activeTicketId();
      if (!ticketId) {
        overlayStore.setState({ activeTicketId: null, pageProblem: null });
        return;
      }
      const pane = adapter.activePane();
      if (!pane) {
        overlayStore.setState({ activeTicketId: null, pageProblem: 'Loopdesk is unavailable on this page: the ticket was not found.' });
        return;
      }
      const context = adapter.readContext();
      // The helpdesk renders a pane before its conversation; wait until there is something to read.
      if (!context || (!context.subject && (context.messages ?? []).length === 0)) return;
      overlayStore.setState({ activeTicketId: ticketId, pageProblem: null });
      if (!ticket(ticketId)) startTicket(ticketId);
    },

    retry() {
      const t = active();
      if (t) startTicket(t.ticketId);
    },

    insert(candidateId) {
      const t = active();
      const candidate = t?.suggestion?.candidates.find((c) => c.id === candidateId);
      const composer = adapter.composer();
      if (!t || !candidate || t.pending.includes(candidateId)) return;
      if (!composer) {
        updateTicket(t.ticketId, { error: 'The reply editor was not found on this page.' });
        return;
      }
      const draft = callBridge(composer, { op: 'getData' });
      const empty = draft.ok && htmlToText(draft.data) === '';
      const result = callBridge(composer, empty ? { op: 'setData', text: candidate.text } : { op: 'insertText', text: candidate.text });
      if (!result.ok) {
        updateTicket(t.ticketId, { error: `Could not insert the reply: ${result.error}` });
        return;
      }
      updateTicket(t.ticketId, { used: { candidateId, method: 'insert', at: Date.now() }, error: undefined });
    },

    async copy(candidateId) {
      const t = active();
      const candidate = t?.suggestion?.candidates.find((c) => c.id === candidateId);
      if (!t || !candidate || t.pending.includes(candidateId)) return;
      await navigator.clipboard.writeText(candidate.text);
      updateTicket(t.ticketId, (s) => ({
        copied: [...s.copied.filter((c) => c.candidateId !== candidateId), { candidateId, text: candidate.text }],
        used: { candidateId, method: 'copy', at: Date.now() },
      }));
    },

    onPaste(text) {
      const t = active();
      if (!t) return;
      const match = t.copied.find((c) => compareReply(c.text, text).similarity >= DEFAULT_ADOPTION_THRESHOLDS.verbatim);
      if (match) updateTicket(t.ticketId, { used: { candidateId: match.candidateId, method: 'paste', at: Date.now() } });
    },

    rateArticle(articleId, label) {
      const t = active();
      const article = t?.suggestion?.articles.find((a) => a.articleId === articleId);
      if (!t || !article) return;
      updateTicket(t.ticketId, (s) => ({ relevance: { ...s.relevance, [articleId]: label } }));
      record(buildEvent(base(t)!, { type: 'knowledge.relevance', articleId, chunkId: article.chunkId, rank: article.rank, label }));
    },

    prefer(choice) {
      const t = active();
      if (!t?.suggestion || t.status !== 'ready' || t.order.length !== 2) return;
      updateTicket(t.ticketId, { preference: choice });
      record(
        buildEvent(base(t)!, {
          type: 'preference',
          candidateA: t.order[0]!,
          candidateB: t.order[1]!,
          choice: choice === 'both_unusable' ? null : choice,
          bothUnusable: choice === 'both_unusable',
        }),
      );
    },

    onSend(path) {
      const t = active();
      const composer = adapter.composer();
      // Adoption is only measured against a suggestion whose exposure was recorded.
      if (!t?.suggestion || t.status !== 'ready' || !composer) return;
      const now = Date.now();
      if (now - lastSendAt < SEND_DEDUP_MS) return;
      const draft = callBridge(composer, { op: 'getData' });
      if (!draft.ok) {
        console.warn(`[loopdesk] could not read the reply at send: ${draft.error}`);
        return;
      }
      const sent = htmlToText(draft.data);
      if (!sent) return;
      lastSendAt = now;
      const { candidate, comparison } = classifyAdoption(t.suggestion.candidates, sent);
      const insertMethod = candidate ? (t.used?.candidateId === candidate.id ? t.used.method : 'typed') : null;
      record(
        buildEvent(base(t)!, {
          type: 'adoption',
          candidateId: candidate?.id ?? null,
          insertMethod,
          outcome: comparison.outcome,
          similarity: Number(comparison.similarity.toFixed(4)),
          editDistance: comparison.editDistance,
          timeToSendMs: t.shownAt ? now - t.shownAt : null,
          sendPath: path,
          finalText: redact(sent),
        }),
      );
      updateTicket(t.ticketId, { used: undefined, copied: [], lastSent: { outcome: comparison.outcome, at: now } });
    },
  };
  return controller;
}
