/**
 * Pages the helpdesk content scripts run on: the agent apps of the supported helpdesks and the
 * bundled demo helpdesk (served by the Loopdesk server on any port of localhost). The patterns are
 * wider than ticket pages because the apps are single-page: an agent who opens the app on a list
 * or dashboard reaches tickets without a page load. Which adapter serves a page is decided by
 * `helpdeskForLocation` in registry.ts.
 */
export const HELPDESK_MATCHES = [
  'https://*.zendesk.com/agent/*',
  'https://*.freshdesk.com/a/*',
  'https://secure.helpscout.net/*',
  'http://127.0.0.1/demo/agent/*',
  'http://localhost/demo/agent/*',
  'http://127.0.0.1/demo/freshdesk/*',
  'http://localhost/demo/freshdesk/*',
  'http://127.0.0.1/demo/helpscout/*',
  'http://localhost/demo/helpscout/*',
];
