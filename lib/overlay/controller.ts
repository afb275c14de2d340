import { browser } from 'wxt/browser';
import { classifyAdoption, compareReply, DEFAULT_ADOPTION_THRESHOLDS } from '../adoption/similarity';
import { EXPERIMENT_ASSIGNMENT_KEY, TENANT_SETTINGS_KEY } from '../contract/vocabulary';
import type {
  AnnotationKind,
  TicketContextInput,
  AdoptionOutcome,
  AdoptionRationale,
  AnnotationEvent,
  CandidateSide,
  PreferenceChoice,
  RedactionLevel,
  RelevanceLabel,
  SelectorKey,
  SendPath,
  SuggestPortMessage,
  SuggestResponse,
} from '../contract';
import { callBridge } from '../helpdesks/bridge-client';
import { htmlToText } from '../helpdesks/text';
import type { HelpdeskAdapter } from '../helpdesks/types';
import { askBackground, streamFromBackground } from '../messaging';
import { redact } from '../redact';
import { buildEvent, type EventBase } from './events';
import { overlayStore, updateTicket, type TicketState } from './store';

/** Which policy switch governs each event type; exposures are always recorded. */
const ANNOTATION_KIND_OF: Partial<Record<AnnotationEvent['type'], AnnotationKind>> = {
  preference: 'preference',
  'knowledge.relevance': 'relevance',
  adoption: 'adoption',
  'knowledge.missing': 'missingKnowledge',
};

/** Two send signals for one reply (a shortcut that also clicks, a double click) count once. */
const SEND_DEDUP_MS = 1_500;
/** How long an adoption event waits in the outbox for the agent's rationale before it goes as is. */
export const RATIONALE_HOLD_MS = 2 * 60_000;
/**
 * Single-page helpdesks change the URL before the view: a pane missing for less than this is a
 * page still rendering, not a selector that stopped matching.
 */
const PANE_MISS_GRACE_MS = 2_000;
/**
 * Whether this suggestion asks for preference and relevance labels: an experiment's annotation
 * sampling rate keeps the agents' burden low by asking on only some suggestions.
 */
export function asksForLabels(t: Pick<TicketState, 'suggestion'>): boolean {
  return t.suggestion?.annotate !== false;
}

/** Outcomes after which the agent is asked why: no suggestion used, or one heavily rewritten. */
const ASK_WHY: readonly AdoptionOutcome[] = ['not_used', 'partial'];

export interface OverlayController {
  /** Re-reads which ticket is active and loads its suggestions when needed. */
  refresh(): void;
  /**
   * Puts a candidate into the composer. A candidate with links its articles do not back is held
   * for the agent's confirmation first (`confirmed` then inserts it); `cancelInsert` drops that.
   */
  insert(candidateId: string, options?: { confirmed?: boolean }): void;
  cancelInsert(): void;
  copy(candidateId: string): Promise<void>;
  rateArticle(articleId: string, label: RelevanceLabel): void;
  prefer(choice: PreferenceChoice | 'both_unusable'): void;
  retry(): void;
  /** Called from the capture-phase listeners, before the helpdesk handles the send. */
  onSend(path: SendPath): void;
  onPaste(text: string): void;
  /** Adds the agent's reasons to the adoption event just recorded; an empty list means skipped. */
  explainAdoption(rationale: AdoptionRationale): Promise<void>;
  reportMissing(description: string, proposedTitle?: string): Promise<boolean>;
}

export interface ControllerOptions {
  /** A hook the page no longer matches (logged as `selector_miss`); the page stays untouched. */
  onSelectorMiss?: (key: SelectorKey) => void;
}

export function createOverlayController(adapter: HelpdeskAdapter, clientVersion: string, options: ControllerOptions = {}): OverlayController {
  const selectorMiss = (key: SelectorKey) => {
    console.warn(`[loopdesk] selector_miss: ${adapter.helpdesk} ${key}`);
    options.onSelectorMiss?.(key);
  };
  /** Since when the URL names a ticket whose pane cannot be found; null while it is found. */
  let paneMissingSince: number | null = null;
  let paneRecheck: ReturnType<typeof setTimeout> | undefined;
  const ticket = (id: string | null): TicketState | undefined => (id ? overlayStore.getState().tickets[id] : undefined);
  const active = () => ticket(overlayStore.getState().activeTicketId);
  let lastSendAt = 0;

  const base = (t: TicketState): EventBase | null =>
    t.suggestion ? { helpdesk: adapter.helpdesk, ticketId: t.ticketId, suggestion: t.suggestion, clientVersion } : null;

  // Kept current, so a changed setting applies to the next text that leaves the browser. The
  // background reads (and validates) the settings; the content script only asks.
  let redaction: RedactionLevel = 'standard';
  const loadConfig = () =>
    askBackground({ type: 'overlay-config' }).then(
      (config) => {
        redaction = config.redaction;
        overlayStore.setState({ annotations: config.annotations });
      },
      () => {},
    );
  void loadConfig();
  // The agent's options or the organization's policy changed.
  browser.storage.onChanged.addListener((changes, area) => {
    if (area === 'managed' || (area === 'local' && ('settings' in changes || TENANT_SETTINGS_KEY in changes))) void loadConfig();
    // A lead changed an experiment (say, pairwise to single): the open ticket shows the new
    // arrangement at once, unless the agent already worked with what is shown.
    // The first assignment a fresh worker fetches is no change: the server already used it.
    const assignment = area === 'local' ? changes[EXPERIMENT_ASSIGNMENT_KEY] : undefined;
    if (assignment?.oldValue && JSON.stringify(assignmentOf(assignment.oldValue)) !== JSON.stringify(assignmentOf(assignment.newValue))) {
      reloadUntouchedTicket();
    }
  });

  /** The assignment inside the cached `{ etag, value }` (lib/org-config.ts); its ETag is not part of it. */
  const assignmentOf = (cached: unknown) => (cached as { value?: unknown } | null | undefined)?.value ?? null;

  /** Asks again for the active ticket's suggestions when nothing shown has been used or rated. */
  function reloadUntouchedTicket() {
    const t = active();
    if (!t || t.status === 'loading' || t.status === 'streaming') return;
    const touched = t.used || t.copied.length || t.lastSent || t.preference || Object.keys(t.relevance).length || t.missingReported;
    if (!touched) startTicket(t.ticketId);
  }

  /** Queues an event through the background; true once it is safely in the outbox. */
  function record(event: AnnotationEvent, holdMs?: number): Promise<boolean> {
    // A kind the organization switched off is not offered, and nothing of it is recorded.
    const kind = ANNOTATION_KIND_OF[event.type];
    if (kind && !overlayStore.getState().annotations[kind]) return Promise.resolve(false);
    return askBackground({ type: 'record-event', event, holdMs }).then(
      () => {
        if (overlayStore.getState().notice) overlayStore.setState({ notice: null });
        return true;
      },
      (err: Error) => {
        // The agent must know an annotation was not kept (e.g. the browser's storage is full).
        console.warn(`[loopdesk] could not queue ${event.type}: ${err.message}`);
        overlayStore.setState({ notice: `Your feedback was not saved: ${err.message}` });
        return false;
      },
    );
  }

  const agentReplies = (context: { messages?: { author: string; internal?: boolean; text: string }[] } | null) =>
    (context?.messages ?? []).filter((m) => m.author === 'agent' && !m.internal);

  /** One suggestion stream per ticket; a retry replaces (and cancels) the ticket's previous one. */
  const streams = new Map<string, { cancel(): void }>();

  function recordShown(ticketId: string) {
    const t = ticket(ticketId);
    const suggestion = t?.suggestion;
    if (!t || !suggestion) return;
    void record(
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
          annotate: event.annotate,
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
        // Whether the agent already answered "why not" on this ticket, remembered across page loads.
        // Asked once the replies are on screen: nothing before a send needs it.
        askBackground({ type: 'ticket-memory-get', key: { helpdesk: adapter.helpdesk, ticketId } }).then(
          ({ rationaleDone }) => updateTicket(ticketId, (t) => ({ rationaleDone: t.rationaleDone || rationaleDone })),
          () => {},
        );
        return;
      }
      case 'error':
        streams.delete(ticketId);
        // A half-built suggestion was never stored on the server, so nothing may refer to it.
        updateTicket(ticketId, { status: 'error', error: event.error, suggestion: undefined, order: [], pending: [] });
        return;
    }
  }

  /** Asks for the ticket's suggestions; `read` is the context just read from the page, if any. */
  function load(ticketId: string, read: TicketContextInput | null = adapter.readContext()) {
    if (!read) {
      updateTicket(ticketId, { status: 'error', error: 'could not read this ticket' });
      return;
    }
    // The background validates the context against the contract before it goes to the server.
    const context = { ...read, messages: read.messages ?? [] };
    // Replies already in the thread; a new one that no send listener saw is the fallback signal.
    updateTicket(ticketId, { repliesSeen: agentReplies(context).length });
    // Personal data is replaced before the ticket leaves the browser.
    context.subject = redact(context.subject ?? '', redaction);
    context.messages = context.messages.map((m) => ({ ...m, text: redact(m.text, redaction) }));
    streams.get(ticketId)?.cancel();
    try {
      streams.set(ticketId, streamFromBackground(context, (event) => onStreamEvent(ticketId, event)));
    } catch (err) {
      // The extension was reloaded under this page: its runtime is gone until the page reloads.
      updateTicket(ticketId, { status: 'error', error: (err as Error).message });
    }
  }

  function startTicket(ticketId: string, context?: TicketContextInput) {
    overlayStore.setState((s) => ({
      tickets: {
        ...s.tickets,
        [ticketId]: { ticketId, status: 'loading', order: [], pending: [], copied: [], relevance: {}, rationaleDone: false, missingReported: false },
      },
    }));
    load(ticketId, context);
  }

  /**
   * Classifies a sent reply against the candidates and records the adoption event. When no
   * candidate was used, or one was heavily rewritten, the event is held briefly so that the
   * agent's rationale can still be added to it.
   */
  function recordAdoption(t: TicketState, sent: string, path: SendPath, now: number) {
    const { candidate, comparison } = classifyAdoption(t.suggestion!.candidates, sent);
    const insertMethod = candidate ? (t.used?.candidateId === candidate.id ? t.used.method : 'typed') : null;
    const ask = ASK_WHY.includes(comparison.outcome) && !t.rationaleDone && overlayStore.getState().annotations.rationale;
    const event = buildEvent(base(t)!, {
      type: 'adoption',
      candidateId: candidate?.id ?? null,
      insertMethod,
      outcome: comparison.outcome,
      similarity: Number(comparison.similarity.toFixed(4)),
      editDistance: comparison.editDistance,
      timeToSendMs: t.shownAt ? now - t.shownAt : null,
      sendPath: path,
      finalText: redact(sent, redaction),
    });
    void record(event, ask ? RATIONALE_HOLD_MS : undefined);
    // Once the hold is over the event has gone as it was; the question closes with it.
    if (ask) {
      setTimeout(
        () => updateTicket(t.ticketId, (s) => (s.rationalePrompt?.eventId === event.id ? { rationalePrompt: undefined } : {})),
        RATIONALE_HOLD_MS,
      );
    }
    updateTicket(t.ticketId, {
      used: undefined,
      copied: [],
      lastSent: { outcome: comparison.outcome, at: now },
      rationalePrompt: ask ? { eventId: event.id, outcome: comparison.outcome, until: now + RATIONALE_HOLD_MS } : undefined,
    });
  }

  /** Remembers for this ticket that the agent dealt with the rationale prompt, and closes it. */
  function closeRationale(ticketId: string, thanks: string | undefined) {
    updateTicket(ticketId, { rationalePrompt: undefined, rationaleDone: true, rationaleThanks: thanks });
    askBackground({ type: 'ticket-memory-set', key: { helpdesk: adapter.helpdesk, ticketId }, rationaleDone: true }).catch(() => {});
  }

  /**
   * The fallback send signal: an agent reply appeared in the thread that no send listener saw (a
   * send path this adapter does not know, a macro). It is classified like a send.
   */
  function noticeNewReplies(t: TicketState, context: TicketContextInput) {
    if (t.repliesSeen === undefined) return;
    const replies = agentReplies(context);
    if (replies.length <= t.repliesSeen) return;
    const fresh = replies.slice(t.repliesSeen);
    const expected = t.repliesExpected ?? 0;
    updateTicket(t.ticketId, { repliesSeen: replies.length, repliesExpected: Math.max(0, expected - fresh.length) });
    const unseen = fresh.slice(expected);
    const last = unseen.at(-1);
    if (!last || !t.suggestion || t.status !== 'ready') return;
    const now = Date.now();
    lastSendAt = now;
    recordAdoption(t, last.text, 'comment_appeared', now);
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
        const now = Date.now();
        paneMissingSince ??= now;
        if (now - paneMissingSince < PANE_MISS_GRACE_MS) {
          // Look again once the grace is over, even if the page does not change meanwhile.
          clearTimeout(paneRecheck);
          paneRecheck = setTimeout(() => controller.refresh(), PANE_MISS_GRACE_MS - (now - paneMissingSince) + 50);
          return;
        }
        if (overlayStore.getState().pageProblem === null) selectorMiss('activePane');
        overlayStore.setState({ activeTicketId: null, pageProblem: 'Loopdesk is unavailable on this page: the ticket was not found.' });
        return;
      }
      paneMissingSince = null;
      const context = adapter.readContext();
      // The helpdesk renders a pane before its conversation; wait until there is something to read.
      if (!context || (!context.subject && (context.messages ?? []).length === 0)) return;
      overlayStore.setState({ activeTicketId: ticketId, pageProblem: null });
      const known = ticket(ticketId);
      if (!known) startTicket(ticketId, context);
      else noticeNewReplies(known, context);
    },

    retry() {
      const t = active();
      if (t) startTicket(t.ticketId);
    },

    insert(candidateId, { confirmed = false } = {}) {
      const t = active();
      const candidate = t?.suggestion?.candidates.find((c) => c.id === candidateId);
      const composer = adapter.composer();
      if (!t || !candidate || t.pending.includes(candidateId)) return;
      // A link no cited article contains may be invented or planted by the ticket: ask first.
      if (candidate.unbackedUrls?.length && !confirmed) {
        updateTicket(t.ticketId, { linkCheck: candidateId });
        return;
      }
      if (t.linkCheck) updateTicket(t.ticketId, { linkCheck: undefined });
      if (!composer) {
        selectorMiss('composer');
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

    cancelInsert() {
      const t = active();
      if (t?.linkCheck) updateTicket(t.ticketId, { linkCheck: undefined });
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
      if (!t || !article || !asksForLabels(t)) return;
      updateTicket(t.ticketId, (s) => ({ relevance: { ...s.relevance, [articleId]: label } }));
      void record(buildEvent(base(t)!, { type: 'knowledge.relevance', articleId, chunkId: article.chunkId, rank: article.rank, label }));
    },

    prefer(choice) {
      const t = active();
      if (!t?.suggestion || t.status !== 'ready' || t.order.length !== 2 || !asksForLabels(t)) return;
      updateTicket(t.ticketId, { preference: choice });
      void record(
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
      // The reply this send produces will appear in the thread; it is not a second adoption.
      updateTicket(t.ticketId, (s) => ({ repliesExpected: (s.repliesExpected ?? 0) + 1 }));
      recordAdoption(t, sent, path, now);
    },

    async explainAdoption(rationale) {
      const t = active();
      const prompt = t?.rationalePrompt;
      if (!t || !prompt) return;
      const skipped = rationale.codes.length === 0 && !rationale.text;
      let amended = false;
      try {
        amended = (await askBackground({ type: 'amend-rationale', id: prompt.eventId, rationale })).amended;
      } catch (err) {
        overlayStore.setState({ notice: `Your feedback was not saved: ${(err as Error).message}` });
      }
      closeRationale(
        t.ticketId,
        skipped ? undefined : amended ? 'Thanks — noted with this reply.' : 'That reply was already recorded, so the reason could not be added.',
      );
    },

    async reportMissing(description, proposedTitle) {
      const t = active();
      if (!t?.suggestion) return false;
      const title = proposedTitle?.trim();
      const saved = await record(
        buildEvent(base(t)!, {
          type: 'knowledge.missing',
          description: redact(description.trim(), redaction),
          ...(title ? { proposedTitle: redact(title, redaction) } : {}),
        }),
      );
      if (saved) updateTicket(t.ticketId, { missingReported: true });
      return saved;
    },
  };
  return controller;
}
