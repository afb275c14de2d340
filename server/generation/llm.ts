import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { GenerationProfile, LlmSettings } from './profiles';
import { applyCitations, CitationStream } from './citations';

/** Token counts as the provider reports them in the stream's last chunk. */
export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** What one chat completion call produced, whether or not it succeeded. */
export interface LlmOutcome {
  /** The reply with unbacked citations removed; null when the call failed. */
  text: string | null;
  citations: number[];
  invalidCitations: number;
  usage: TokenUsage | null;
  /** From sending the request to the end of the stream (or the failure). */
  latencyMs: number;
  /** From sending the request to the first non-empty piece of text; null when none came. */
  ttftMs: number | null;
  /**
   * Why the call failed: `timeout`, `http_<status>`, `connection`, `incomplete` (the stream stopped
   * without a finish reason), `malformed`, `empty`, `cancelled` or `error`.
   */
  failure?: string;
}

export interface LlmCall {
  profile: GenerationProfile;
  messages: ChatCompletionMessageParam[];
  /** Article numbers the prompt gave; any other `[n]` is removed. */
  articleNumbers: ReadonlySet<number>;
  /** Called with each piece of checked text as soon as it is known. */
  onDelta?: (text: string) => void;
  /** Aborted when nobody waits for the answer any more (the client went away). */
  signal?: AbortSignal;
}

/**
 * One client per server: it keeps connections to the provider alive between calls, which saves a
 * TCP (and TLS) handshake on every suggestion's time to first token.
 */
export function createLlmClient(settings: LlmSettings): OpenAI {
  return new OpenAI({
    baseURL: settings.baseURL,
    apiKey: settings.apiKey,
    // No retries: the agent is waiting, and the extractive reply is ready the moment a call fails.
    maxRetries: 0,
    timeout: settings.timeoutMs,
  });
}

function failureOf(err: unknown, timedOut: boolean, cancelled: boolean): string {
  if (timedOut) return 'timeout';
  if (cancelled) return 'cancelled';
  if (err instanceof APIConnectionTimeoutError) return 'timeout';
  if (err instanceof APIConnectionError) return 'connection';
  if (err instanceof APIError && typeof err.status === 'number') return `http_${err.status}`;
  if (err instanceof SyntaxError) return 'malformed';
  return 'error';
}

/**
 * Streams one chat completion. Text reaches `onDelta` as it arrives, minus citations of articles that
 * were not given (a citation still being written is held back for the few characters until it
 * closes). The whole call is bounded by `timeoutMs`; failures are reported, not thrown, so that the
 * caller can fall back.
 */
export async function streamCompletion(client: OpenAI, timeoutMs: number, call: LlmCall): Promise<LlmOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const cancel = () => controller.abort();
  call.signal?.addEventListener('abort', cancel, { once: true });

  let raw = '';
  let ttftMs: number | null = null;
  let usage: TokenUsage | null = null;
  const checked = new CitationStream(call.articleNumbers);
  const emit = (text: string) => {
    if (text) call.onDelta?.(text);
  };
  try {
    if (call.signal?.aborted) throw new Error('cancelled before start');
    const stream = await client.chat.completions.create(
      {
        model: call.profile.model,
        messages: call.messages,
        temperature: call.profile.temperature,
        // `max_tokens` rather than `max_completion_tokens`: every OpenAI-compatible server reads it.
        max_tokens: call.profile.maxTokens,
        stream: true,
        stream_options: { include_usage: true },
      },
      { signal: controller.signal },
    );
    let finished = false;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.finish_reason) finished = true;
      if (chunk.usage) {
        const { prompt_tokens, completion_tokens, total_tokens } = chunk.usage;
        usage = { prompt_tokens, completion_tokens, total_tokens };
      }
      const piece = chunk.choices[0]?.delta?.content;
      if (!piece) continue;
      ttftMs ??= elapsed();
      raw += piece;
      emit(checked.push(piece));
    }
    // The SDK ends the iteration quietly when the request is aborted, so a timeout or cancellation
    // looks like the end of the reply unless checked here.
    if (controller.signal.aborted) throw new Error('aborted');
    // A stream that stops without a finish reason lost its connection: the reply may be cut mid-sentence.
    if (!finished) {
      return { text: null, citations: [], invalidCitations: 0, usage, latencyMs: elapsed(), ttftMs, failure: 'incomplete' };
    }
    emit(checked.end());
    const cited = applyCitations(raw, call.articleNumbers);
    const text = cited.text.trim();
    if (!text) return { text: null, citations: [], invalidCitations: 0, usage, latencyMs: elapsed(), ttftMs, failure: 'empty' };
    return { text, citations: cited.citations, invalidCitations: cited.invalidCitations, usage, latencyMs: elapsed(), ttftMs };
  } catch (err) {
    const failure = failureOf(err, timedOut, call.signal?.aborted ?? false);
    if (failure !== 'cancelled') {
      console.warn(
        JSON.stringify({ level: 'warn', msg: 'language model call failed', arm: call.profile.arm, model: call.profile.model, failure, error: (err as Error).message }),
      );
    }
    return { text: null, citations: [], invalidCitations: 0, usage, latencyMs: elapsed(), ttftMs, failure };
  } finally {
    clearTimeout(timer);
    call.signal?.removeEventListener('abort', cancel);
  }
}
