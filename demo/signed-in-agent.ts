/**
 * The agent signed in to the demo helpdesk: shown in its header (as Zendesk's user menu shows the
 * agent's avatar) and answered by the demo's Zendesk-style `GET /api/v2/users/me.json`, which the
 * extension asks when it enrolls.
 */
export const DEMO_SIGNED_IN_AGENT = { id: 90001, name: 'Demo Agent', email: 'agent@demo.loopdesk.dev' } as const;
