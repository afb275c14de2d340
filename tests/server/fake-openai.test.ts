import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';

/** The fake speaks the API as the openai SDK expects it; later issues build on these shapes. */
describe('the fake OpenAI-compatible server', () => {
  let fake: FakeOpenAI;
  let client: OpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: 'sk-fake' });
    client = new OpenAI({ baseURL: fake.url, apiKey: 'sk-fake', maxRetries: 0 });
  });
  afterAll(async () => fake?.close());

  it('answers a non-streamed chat completion with usage, the reply depending on the messages', async () => {
    fake.setBehaviour({ reply: (messages) => `You said: ${messages.at(-1)!.content}` });
    const completion = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'two words' }] });
    expect(completion.choices[0]!.message.content).toBe('You said: two words');
    expect(completion.usage).toEqual({ prompt_tokens: 2, completion_tokens: 4, total_tokens: 6 });
  });

  it('streams word by word, with usage last only when asked', async () => {
    fake.setBehaviour({ reply: 'one two three' });
    const collect = async (includeUsage: boolean) => {
      const stream = await client.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: 'go' }],
        stream: true,
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      });
      const pieces: string[] = [];
      let usage: unknown = null;
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) pieces.push(chunk.choices[0].delta.content);
        usage ??= chunk.usage ?? null;
      }
      return { pieces, usage };
    };
    expect(await collect(true)).toEqual({ pieces: ['one', ' two', ' three'], usage: { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 } });
    expect((await collect(false)).usage).toBeNull();
    expect(fake.requests.at(-1)!.firstTokenAt).toBeGreaterThan(fake.requests.at(-1)!.receivedAt);
  });

  it('refuses a wrong key and answers scripted errors the way the SDK reads them', async () => {
    const stranger = new OpenAI({ baseURL: fake.url, apiKey: 'sk-wrong', maxRetries: 0 });
    await expect(stranger.models.list()).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
    fake.setBehaviour({ status: 429 });
    await expect(client.chat.completions.create({ model: 'm', messages: [] })).rejects.toMatchObject({ status: 429, type: 'rate_limit_error' });
  });

  it('uploads a file as multipart and runs a fine-tuning job through to a model', async () => {
    const lines = '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}\n';
    const file = await client.files.create({ file: await toFile(Buffer.from(lines), 'train.jsonl'), purpose: 'fine-tune' });
    expect(file).toMatchObject({ object: 'file', filename: 'train.jsonl', purpose: 'fine-tune', bytes: lines.length, status: 'processed' });
    expect(await (await client.files.content(file.id)).text()).toBe(lines);
    expect(fake.requests.at(-2)!.body).toEqual({ purpose: 'fine-tune', file: { filename: 'train.jsonl', bytes: lines.length } });

    await expect(client.fineTuning.jobs.create({ model: 'base', training_file: 'file-missing' })).rejects.toMatchObject({ status: 400 });
    const job = await client.fineTuning.jobs.create({ model: 'base', training_file: file.id, suffix: 'loopdesk' });
    expect(job).toMatchObject({ object: 'fine_tuning.job', status: 'validating_files', model: 'base', training_file: file.id, fine_tuned_model: null });
    const seen: string[] = [];
    let current = job;
    while (current.status !== 'succeeded') {
      current = await client.fineTuning.jobs.retrieve(job.id);
      seen.push(current.status);
    }
    expect(seen).toEqual(['validating_files', 'queued', 'running', 'succeeded']);
    expect(current.fine_tuned_model).toMatch(/^ft:base:org-fake:loopdesk:/);
    const listed = [];
    for await (const j of client.fineTuning.jobs.list({ limit: 10 })) listed.push(j.id);
    expect(listed).toEqual([job.id]);
  });
  it('lists a job\'s events, checks training files against the method, and scripts failures', async () => {
    const sft = '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}\n';
    const file = await client.files.create({ file: await toFile(Buffer.from(sft), 'train.jsonl'), purpose: 'fine-tune' });
    expect(fake.fileContent(file.id)!.toString()).toBe(sft);
    // A chat example is no preference example.
    await expect(client.fineTuning.jobs.create({ model: 'base', training_file: file.id, method: { type: 'dpo' } })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_training_file',
    });
    fake.setFineTuning({ failWith: 'too few examples' });
    const job = await client.fineTuning.jobs.create({ model: 'base', training_file: file.id, method: { type: 'supervised' } });
    let current = job;
    while (current.status !== 'failed') current = await client.fineTuning.jobs.retrieve(job.id);
    expect(current.error).toMatchObject({ message: 'too few examples' });
    expect(current.fine_tuned_model).toBeNull();
    const events = (await client.fineTuning.jobs.listEvents(job.id, { limit: 10 })).data.map((e) => e.message);
    expect(events[0]).toBe('Fine-tuning job failed: too few examples');
    expect(events.at(-1)).toBe(`Created fine-tuning job: ${job.id}`);

    fake.setFineTuning({ uploadStatus: 500 });
    await expect(client.files.create({ file: await toFile(Buffer.from(sft), 'x.jsonl'), purpose: 'fine-tune' })).rejects.toMatchObject({ status: 500 });
    fake.setFineTuning({});
    expect(await client.files.delete(file.id)).toMatchObject({ id: file.id, deleted: true });
    expect(fake.fileContent(file.id)).toBeUndefined();
  });
});
