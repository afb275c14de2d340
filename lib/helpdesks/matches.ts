/**
 * Pages the helpdesk content scripts run on: the agent apps of the supported helpdesks and the
 * bundled demo helpdesk (served by the Loopdesk server on any port of localhost).
 */
export const HELPDESK_MATCHES = [
  'https://*.zendesk.com/agent/*',
  'http://127.0.0.1/demo/agent/*',
  'http://localhost/demo/agent/*',
];
