import { defineAnnotationTest, defineLoopTests, type LoopPage } from './helpdesk-loop';

// The Help Scout-style demo page: reply editor above the thread, thread newest first.
const page: LoopPage = {
  helpdesk: 'helpscout',
  url: (server, id) => `${server.url}/demo/helpscout/conversation/${id}/${id}`,
  path: (id) => new RegExp(`/demo/helpscout/conversation/${id}/${id}$`),
  composer: (page) => page.locator('[data-cy="ReplyEditor"] [contenteditable="true"]'),
  sendButton: (page) => page.locator('button[data-cy="SendButton"]'),
  sendMenuButton: (page) => page.locator('button[data-cy="SendButton.StatusMenu"]'),
  sendMenuItem: (page, status) => page.locator(`[data-cy="SendButton.StatusItem"][data-status="${status}"]`),
  newestReply: (page) => page.locator('[data-cy="ThreadList"] [data-cy="ThreadItem"]').first(),
  status: (page) => page.locator('[data-cy="ConversationHeader.Actions"] .hs-status'),
  pending: /^Pending$/,
  ticketLink: (page, id) => page.locator(`a[data-ticket-id="${id}"]`),
};

defineLoopTests(page);
defineAnnotationTest(page);
