import { defineAnnotationTest, defineLoopTests, type LoopPage } from './helpdesk-loop';

// The Freshdesk-style demo page: one ticket on screen, conversation oldest first, reply editor below.
const page: LoopPage = {
  helpdesk: 'freshdesk',
  url: (server, id) => `${server.url}/demo/freshdesk/a/tickets/${id}`,
  path: (id) => new RegExp(`/demo/freshdesk/a/tickets/${id}$`),
  composer: (page) => page.locator('[data-test-id="reply-editor"] .fr-element.fr-view[contenteditable="true"]'),
  sendButton: (page) => page.locator('button[data-test-id="send-button"]'),
  sendMenuButton: (page) => page.locator('button[data-test-id="send-dropdown-trigger"]'),
  sendMenuItem: (page, status) => page.locator(`[data-test-id="send-dropdown-item"][data-status="${status}"]`),
  newestReply: (page) => page.locator('[data-test-id="conversation-list"] [data-test-id="conversation-item"]').last(),
  status: (page) => page.locator('.fd-props .fd-status'),
  pending: /^Pending$/,
  ticketLink: (page, id) => page.locator(`a[data-ticket-id="${id}"]`),
};

defineLoopTests(page);
defineAnnotationTest(page);
