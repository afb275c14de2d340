import { z } from 'zod';

/**
 * The required fields of each export's target format, as the consumers define them: what a line
 * must have for OpenAI's fine-tuning file validation, TRL's preference trainers, TREC tools and
 * sentence-transformers triplet losses to accept it.
 */
const ChatMessage = z.strictObject({ role: z.enum(['system', 'user', 'assistant']), content: z.string().min(1) });
const AssistantMessage = z.strictObject({ role: z.literal('assistant'), content: z.string().min(1) });

/** OpenAI chat fine-tuning: `{messages}` ending with the assistant's answer, nothing else. */
export const OpenAiSftLine = z
  .strictObject({ messages: z.array(ChatMessage).min(2) })
  .refine((line) => line.messages.at(-1)!.role === 'assistant', { message: 'the last message is the assistant answer', path: ['messages'] })
  .refine((line) => line.messages.slice(0, -1).some((m) => m.role === 'user'), { message: 'a user message comes first', path: ['messages'] });

/** OpenAI preference (DPO) fine-tuning: input messages and one preferred and one non-preferred assistant message. */
export const OpenAiPreferenceLine = z.strictObject({
  input: z.strictObject({ messages: z.array(ChatMessage.extend({ role: z.enum(['system', 'user']) })).min(1) }),
  preferred_output: z.tuple([AssistantMessage]),
  non_preferred_output: z.tuple([AssistantMessage]),
});

const TrlMetadata = {
  strength: z.union([z.int().min(1).max(3), z.null()]),
  choice: z.string().nullable(),
  source: z.enum(['preference', 'adoption']),
  suggestion_id: z.uuid(),
  event_id: z.uuid(),
};

/** TRL conversational preference row: prompt messages, chosen and rejected assistant turns (extra columns allowed). */
export const TrlRow = z.object({
  prompt: z.array(ChatMessage).min(1),
  chosen: z.tuple([AssistantMessage]),
  rejected: z.tuple([AssistantMessage]),
  ...TrlMetadata,
});

/** TRL standard (plain text) preference row. */
export const TrlTextRow = z.object({ prompt: z.string().min(1), chosen: z.string().min(1), rejected: z.string().min(1), ...TrlMetadata });

/** TREC qrels: `qid iteration docid relevance`, whitespace-separated, iteration 0. */
export const QRELS_LINE = /^(\S+) 0 (\S+) (\d+)$/;

/** Triplet for contrastive retrieval training, exactly three text columns. */
export const TripletLine = z.strictObject({ query: z.string().min(1), positive: z.string().min(1), negative: z.string().min(1) });

/** BEIR-style query line. */
export const QueryJsonLine = z.strictObject({ _id: z.string().min(1), text: z.string().min(1) });

/** Non-empty lines of a text body, each parsed as JSON and checked against a schema. */
export function parseJsonl<S extends z.ZodType>(text: string, schema: S): z.infer<S>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line, i) => {
      const parsed = schema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`line ${i + 1}: ${z.prettifyError(parsed.error)}\n${line.slice(0, 500)}`);
      return parsed.data;
    });
}

/** The dashboard's reader, so tests read exports exactly as leads' browsers do. */
export { parseCsv } from '../../dashboard/csv';
