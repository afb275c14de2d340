import { createStore } from 'zustand/vanilla';
import type { AdoptionOutcome, AnnotationSwitches, InsertMethod, PreferenceChoice, RelevanceLabel, SuggestResponse } from '../contract';

export interface TicketState {
  ticketId: string;
  /** `streaming`: articles and candidate cards are known, some candidate text is still arriving. */
  status: 'loading' | 'streaming' | 'ready' | 'error';
  error?: string;
  /** Built up from the stream; complete (as the JSON answer would be) once `status` is `ready`. */
  suggestion?: SuggestResponse;
  /** Candidates whose final text has not arrived yet; they cannot be inserted or copied. */
  pending: string[];
  /** Candidate ids in display order: [left, right]; randomized per suggestion and recorded. */
  order: string[];
  shownAt?: number;
  /** How a candidate last got into the composer. */
  used?: { candidateId: string; method: InsertMethod; at: number };
  /** Candidate texts the agent copied, to recognise them when pasted. */
  copied: { candidateId: string; text: string }[];
  relevance: Record<string, RelevanceLabel>;
  preference?: PreferenceChoice | 'both_unusable';
  lastSent?: { outcome: string; at: number };
  /** Agent replies in the thread when last looked; undefined until the ticket was first read. */
  repliesSeen?: number;
  /** Sends the listeners saw whose reply has not appeared in the thread yet. */
  repliesExpected?: number;
  /** Open while the held adoption event can still take the agent's reasons. */
  rationalePrompt?: { eventId: string; outcome: AdoptionOutcome; until: number };
  /** The agent answered or skipped "why not" on this ticket (remembered across page loads). */
  rationaleDone: boolean;
  rationaleThanks?: string;
  missingReported: boolean;
  /** A candidate with links its articles do not back, waiting for the agent to confirm the insert. */
  linkCheck?: string;
}

export interface OverlayState {
  activeTicketId: string | null;
  tickets: Record<string, TicketState>;
  collapsed: boolean;
  /** A problem with the page itself (e.g. the helpdesk's layout changed). */
  pageProblem: string | null;
  /** A problem the agent must see that is not tied to one ticket (e.g. feedback could not be saved). */
  notice: string | null;
  missingFormOpen: boolean;
  /** The kinds of annotation to offer (the organization's policy may switch some off). */
  annotations: AnnotationSwitches;
}

export const overlayStore = createStore<OverlayState>(() => ({
  activeTicketId: null,
  tickets: {},
  collapsed: false,
  pageProblem: null,
  notice: null,
  missingFormOpen: false,
  annotations: { preference: true, relevance: true, adoption: true, missingKnowledge: true, rationale: true },
}));

export function updateTicket(ticketId: string, patch: Partial<TicketState> | ((t: TicketState) => Partial<TicketState>)) {
  overlayStore.setState((state) => {
    const current = state.tickets[ticketId];
    if (!current) return state;
    const next = typeof patch === 'function' ? patch(current) : patch;
    return { tickets: { ...state.tickets, [ticketId]: { ...current, ...next } } };
  });
}
