import { z } from 'zod';
import { describeIssues, Slug } from '../../lib/contract';
import { PROMPT_VERSIONS } from './prompt';

/**
 * A generation profile is one arm's recipe for a reply. Experiments pick two profiles and show their
 * candidates side by side; the profile's fields are stored with every candidate it produced.
 */
export const GenerationProfile = z.strictObject({
  arm: Slug,
  promptVersion: z.enum(PROMPT_VERSIONS),
  model: z.string().trim().min(1).max(128),
  temperature: z.number().min(0).max(2),
  maxTokens: z.int().min(16).max(8_192),
});
export type GenerationProfile = z.infer<typeof GenerationProfile>;

/** As written in `LOOPDESK_GENERATION_PROFILES`: `model` may be left to `LOOPDESK_LLM_MODEL`. */
const ProfileOverride = GenerationProfile.extend({ model: GenerationProfile.shape.model.optional() });

const ProfileOverrides = z
  .tuple([ProfileOverride, ProfileOverride])
  .refine(([a, b]) => a.arm !== b.arm, { message: 'the two profiles need different arms', path: [1, 'arm'] });

export type GenerationProfiles = readonly [GenerationProfile, GenerationProfile];

/** Where an OpenAI-compatible chat completions API is (the `baseURL` of the openai SDK). */
export interface LlmSettings {
  baseURL: string;
  apiKey: string;
  /** Whole-call budget of one candidate; past it the candidate falls back to the extractive reply. */
  timeoutMs: number;
}

export interface GenerationConfig {
  /** Null: no model configured, the extractive generator serves both arms. */
  llm: LlmSettings | null;
  profiles: GenerationProfiles;
}

export const DEFAULT_LLM_TIMEOUT_MS = 20_000;

/**
 * Arm A is short and factual, arm B warmer and freer, so the first preference labels already say
 * something about tone as well as content.
 */
const DEFAULT_PROFILES: readonly [Omit<GenerationProfile, 'model'>, Omit<GenerationProfile, 'model'>] = [
  { arm: 'A', promptVersion: 'concise-v1', temperature: 0.2, maxTokens: 400 },
  { arm: 'B', promptVersion: 'warm-v1', temperature: 0.7, maxTokens: 500 },
];

/** Offline: the extractive generator serves both default arms. */
export const OFFLINE_GENERATION: GenerationConfig = {
  llm: null,
  profiles: [
    { ...DEFAULT_PROFILES[0], model: 'extractive-v1' },
    { ...DEFAULT_PROFILES[1], model: 'extractive-v1' },
  ],
};

const TimeoutMs = z.coerce.number().int().min(100).max(600_000);
const BaseUrl = z.url({ protocol: /^https?$/ });

function parseVar<S extends z.ZodType>(name: string, schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(describeIssues(parsed.error, [name]));
  return parsed.data;
}

/**
 * Reads `LOOPDESK_LLM_*` and `LOOPDESK_GENERATION_PROFILES`. A bad value throws an Error naming the
 * variable and the zod path (`LOOPDESK_GENERATION_PROFILES[1].temperature: …`), so the server
 * refuses to start rather than serve with a half-understood configuration.
 */
export function generationConfigFromEnv(env: Record<string, string | undefined>): GenerationConfig {
  const baseURL = env.LOOPDESK_LLM_BASE_URL?.trim() ? parseVar('LOOPDESK_LLM_BASE_URL', BaseUrl, env.LOOPDESK_LLM_BASE_URL.trim()) : null;
  const timeoutMs = env.LOOPDESK_LLM_TIMEOUT_MS?.trim()
    ? parseVar('LOOPDESK_LLM_TIMEOUT_MS', TimeoutMs, env.LOOPDESK_LLM_TIMEOUT_MS.trim())
    : DEFAULT_LLM_TIMEOUT_MS;
  const defaultModel = env.LOOPDESK_LLM_MODEL?.trim() || (baseURL ? undefined : OFFLINE_GENERATION.profiles[0].model);

  let overrides: readonly [z.infer<typeof ProfileOverride>, z.infer<typeof ProfileOverride>] = DEFAULT_PROFILES;
  const raw = env.LOOPDESK_GENERATION_PROFILES?.trim();
  if (raw) {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      throw new Error(`LOOPDESK_GENERATION_PROFILES: not valid JSON (${(err as Error).message})`);
    }
    overrides = parseVar('LOOPDESK_GENERATION_PROFILES', ProfileOverrides, json);
  }
  const withModel = (p: z.infer<typeof ProfileOverride>, i: number): GenerationProfile => {
    const model = p.model ?? defaultModel;
    if (!model) {
      throw new Error(
        `LOOPDESK_LLM_MODEL: required when LOOPDESK_LLM_BASE_URL is set, unless LOOPDESK_GENERATION_PROFILES[${i}].model names one`,
      );
    }
    return { ...p, model };
  };
  const profiles: GenerationProfiles = [withModel(overrides[0], 0), withModel(overrides[1], 1)];

  return {
    // Local OpenAI-compatible servers usually ignore the key, but the SDK refuses to run without one.
    llm: baseURL ? { baseURL, apiKey: env.LOOPDESK_LLM_API_KEY?.trim() || 'not-needed', timeoutMs } : null,
    profiles,
  };
}
