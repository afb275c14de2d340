import { create } from 'zustand';
import type { Experiment, WhoAmI } from '../lib/contract';

const TOKEN_KEY = 'loopdesk.dashboard.token';

export type View = 'experiments' | 'kb-gaps' | 'models' | 'annotation-quality';

interface DashboardState {
  /** The pasted token; kept in sessionStorage, so it goes when the tab closes. */
  token: string | null;
  me: WhoAmI | null;
  /** Why the lead was signed out (an expired token, say), shown on the sign-in form. */
  signedOutReason: string | null;
  view: View;
  experiments: Experiment[] | null;
  selectedKey: string | null;
  signIn(token: string, me: WhoAmI): void;
  signOut(reason?: string): void;
  setView(view: View): void;
  setExperiments(list: Experiment[]): void;
  /** Puts a created or changed experiment in place (by key), keeping the list's order. */
  upsertExperiment(experiment: Experiment): void;
  select(key: string | null): void;
}

function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export const useDashboard = create<DashboardState>((set) => ({
  token: storedToken(),
  me: null,
  signedOutReason: null,
  view: 'experiments',
  experiments: null,
  selectedKey: null,
  signIn(token, me) {
    sessionStorage.setItem(TOKEN_KEY, token);
    set({ token, me, signedOutReason: null });
  },
  signOut(reason) {
    sessionStorage.removeItem(TOKEN_KEY);
    set({ token: null, me: null, signedOutReason: reason ?? null, experiments: null, selectedKey: null });
  },
  setView: (view) => set({ view }),
  setExperiments: (experiments) => set({ experiments }),
  upsertExperiment: (experiment) =>
    set(({ experiments }) => {
      const list = experiments ?? [];
      const at = list.findIndex((e) => e.key === experiment.key);
      return { experiments: at < 0 ? [...list, experiment] : list.map((e, i) => (i === at ? experiment : e)) };
    }),
  select: (selectedKey) => set({ selectedKey }),
}));
