import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { TicketContext } from '../../lib/contract';
import type { ArticleText } from '../retrieval';
import { cleanMessage } from '../retrieval/query';
import { clipAtWord } from '../text';

/**
 * Prompt versions are named and frozen: a generation record names the version it used, so changing
 * the wording of one means adding a new version, never editing an old one.
 */
export const PROMPT_VERSIONS = ['concise-v1', 'warm-v1', 'examples-v1'] as const;
export type PromptVersion = (typeof PROMPT_VERSIONS)[number];

/** Bounds that keep a prompt within small context windows whatever the ticket or KB holds. */
const ARTICLE_CHARS = 3_000;
const MESSAGE_CHARS = 2_000;
const MESSAGES_KEPT = 6;

const SHARED_RULES = [
  'You draft the next reply a customer support agent will send to a customer. The agent reviews it before sending.',
  'Use only facts found in the numbered knowledge-base articles. Never invent policies, prices, time frames or steps.',
  'After each sentence that uses an article, cite it with its number in square brackets, like [2]. Cite only numbers from the list.',
  'If the articles do not answer the question, say that you will check and get back to the customer, without citing anything.',
  'Write plain text: no Markdown headings, bold or links, and no signature or name placeholder.',
  "Reply in the customer's language.",
];

const STYLE: Record<PromptVersion, string> = {
  'concise-v1':
    'Be brief and direct: a one-line greeting, the answer in at most 120 words, and a one-line closing.',
  'warm-v1':
    'Be warm and reassuring: acknowledge the problem first, then explain. When the fix takes several steps, number them. At most 180 words.',
  'examples-v1': [
    'Be brief and direct: a one-line greeting, the answer in at most 120 words, and a one-line closing.',
    "Replies this team's agents sent to similar tickets may follow the articles. Match their tone, length and phrasing,",
    'but take every fact from the articles: the past replies answered other customers and may not apply here.',
  ].join(' '),
};

/** Past replies shown per prompt, and the characters kept of each. */
const EXAMPLE_CHARS = 1_000;

/** Versions whose prompt shows past adopted replies (the tenant's reply memory) when there are any. */
const WITH_EXAMPLES: ReadonlySet<PromptVersion> = new Set(['examples-v1']);


/** The conversation as the model sees it: internal notes left out, quotes and signatures removed. */
function conversation(ticket: TicketContext): string {
  // Internal notes are for colleagues; a reply built on them could disclose them to the customer.
  const visible = ticket.messages.filter((m) => !m.internal && m.author !== 'system');
  return visible
    .map((m) => ({ who: m.author === 'customer' ? 'Customer' : 'Agent', text: m.author === 'customer' ? cleanMessage(m.text) : m.text.trim() }))
    .filter((m) => m.text !== '')
    .slice(-MESSAGES_KEPT)
    .map((m) => `${m.who}: ${clipAtWord(m.text, MESSAGE_CHARS)}`)
    .join('\n\n');
}

/** The chat messages for one candidate: the version's system prompt, then articles and ticket. */
export function buildMessages(
  version: PromptVersion,
  ticket: TicketContext,
  articles: ArticleText[],
  examples: readonly { reply: string }[] = [],
): ChatCompletionMessageParam[] {
  const system = [...SHARED_RULES, STYLE[version]].join('\n');
  const sources = articles.length
    ? articles.map((a) => `[${a.n}] ${a.title}\n${clipAtWord(a.content.trim(), ARTICLE_CHARS)}`).join('\n\n')
    : '(no articles matched this ticket)';
  // Older versions are frozen: they never show examples, whatever the memory holds.
  const shown = WITH_EXAMPLES.has(version) ? examples : [];
  const user = [
    `Knowledge-base articles:\n\n${sources}`,
    shown.length ? `Replies agents sent to similar tickets:\n\n${shown.map((e, i) => `Example ${i + 1}:\n${clipAtWord(e.reply.trim(), EXAMPLE_CHARS)}`).join('\n\n')}` : '',
    `Ticket subject: ${ticket.subject || '(none)'}`,
    ticket.locale ? `Customer locale: ${ticket.locale}` : '',
    `Conversation, oldest first:\n\n${conversation(ticket) || '(no messages)'}`,
    "Write the agent's next reply to the customer.",
  ]
    .filter(Boolean)
    .join('\n\n');
  return [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ];
}
