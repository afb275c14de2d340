import OpenAI from 'openai';
import { z } from 'zod';
import { describeIssues } from '../../lib/contract';

/** Where dense retrieval gets its vectors: an OpenAI-compatible `/v1/embeddings` endpoint. */
export interface EmbedderConfig {
  baseURL: string;
  apiKey?: string;
  model: string;
  /** Asked of models that can shorten their vectors (`dimensions`); otherwise learnt from the first answer. */
  dim?: number;
  /** Wire format to request. Default `float`; `base64` is a quarter of the bytes for large imports. */
  encodingFormat?: 'float' | 'base64';
  timeoutMs?: number;
}

export interface Embedder {
  /** One vector per text, in input order. */
  embed(texts: string[]): Promise<number[][]>;
  /** The vector length: the configured one, or the one of the first answer (undefined before it). */
  readonly dim: number | undefined;
}

/** Inputs per request: providers cap a batch (OpenAI at 2,048), local servers often lower. */
const BATCH = 256;
const DEFAULT_TIMEOUT_MS = 60_000;

/** Decodes a base64 embedding: little-endian IEEE 754 float32 values, as OpenAI sends them. */
export function decodeBase64Embedding(encoded: string): number[] {
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length % 4 !== 0) throw new Error(`base64 embedding of ${bytes.length} bytes is not a whole number of float32 values`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<number>(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/**
 * Embeds texts through the openai SDK. The encoding is always named in the request: left out, the
 * SDK asks for base64 and decodes it itself, and a server that answers floats anyway is read as
 * garbage without an error. Whatever the server sends back, strings are decoded as base64 float32
 * and arrays taken as they are, so both formats work whichever was asked for.
 */
export function createEmbedder(config: EmbedderConfig): Embedder {
  const client = new OpenAI({
    baseURL: config.baseURL,
    // Local servers usually ignore the key, but the SDK refuses to run without one.
    apiKey: config.apiKey || 'not-needed',
    maxRetries: 2,
    timeout: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  const encodingFormat = config.encodingFormat ?? 'float';
  let dim = config.dim;

  async function embedBatch(texts: string[]): Promise<number[][]> {
    const response = await client.embeddings.create({
      model: config.model,
      input: texts,
      encoding_format: encodingFormat,
      ...(config.dim ? { dimensions: config.dim } : {}),
    });
    const vectors = new Array<number[] | undefined>(texts.length);
    for (const item of response.data) {
      const raw: unknown = item.embedding;
      const vector = typeof raw === 'string' ? decodeBase64Embedding(raw) : Array.isArray(raw) ? (raw as number[]) : null;
      if (!vector) throw new Error(`embedding ${item.index} is neither a float array nor a base64 string`);
      vectors[item.index] = vector;
    }
    return vectors.map((v, i) => {
      if (!v) throw new Error(`the embeddings answer has no vector for input ${i}`);
      dim ??= v.length;
      if (v.length !== dim) throw new Error(`embedding ${i} has ${v.length} dimensions, expected ${dim}`);
      return v;
    });
  }

  return {
    get dim() {
      return dim;
    },
    async embed(texts) {
      const out: number[][] = [];
      for (let i = 0; i < texts.length; i += BATCH) out.push(...(await embedBatch(texts.slice(i, i + BATCH))));
      return out;
    },
  };
}

const EmbedEnv = z.object({
  LOOPDESK_EMBED_BASE_URL: z.url({ protocol: /^https?$/ }),
  LOOPDESK_EMBED_MODEL: z.string().trim().min(1),
  LOOPDESK_EMBED_API_KEY: z.string().optional(),
  LOOPDESK_EMBED_DIM: z.coerce.number().int().min(1).max(16_000).optional(),
  LOOPDESK_EMBED_ENCODING: z.enum(['float', 'base64']).optional(),
});

/**
 * Reads `LOOPDESK_EMBED_*`. Null when no embedding model is named (dense retrieval off). The base URL
 * and key default to the chat model's (`LOOPDESK_LLM_*`), since one server often serves both. A bad
 * value throws an Error naming the variable.
 */
export function embedderConfigFromEnv(env: Record<string, string | undefined>): EmbedderConfig | null {
  const pick = (name: string) => env[name]?.trim() || undefined;
  if (!pick('LOOPDESK_EMBED_MODEL')) return null;
  const parsed = EmbedEnv.safeParse({
    LOOPDESK_EMBED_BASE_URL: pick('LOOPDESK_EMBED_BASE_URL') ?? pick('LOOPDESK_LLM_BASE_URL'),
    LOOPDESK_EMBED_MODEL: pick('LOOPDESK_EMBED_MODEL'),
    LOOPDESK_EMBED_API_KEY: pick('LOOPDESK_EMBED_API_KEY') ?? pick('LOOPDESK_LLM_API_KEY'),
    LOOPDESK_EMBED_DIM: pick('LOOPDESK_EMBED_DIM'),
    LOOPDESK_EMBED_ENCODING: pick('LOOPDESK_EMBED_ENCODING'),
  });
  if (!parsed.success) throw new Error(describeIssues(parsed.error));
  const e = parsed.data;
  return {
    baseURL: e.LOOPDESK_EMBED_BASE_URL,
    model: e.LOOPDESK_EMBED_MODEL,
    apiKey: e.LOOPDESK_EMBED_API_KEY,
    dim: e.LOOPDESK_EMBED_DIM,
    encodingFormat: e.LOOPDESK_EMBED_ENCODING,
  };
}
