// `aha serve` driven by the official OpenAI JavaScript client. Run by tests/serve/serve_client_test.cpp
// with AHA_SERVE_URL set to a running server (tiny random model, Qwen3's chat template).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: `${process.env.AHA_SERVE_URL}/v1`, apiKey: 'test-key', maxRetries: 0 });
const messages = [{ role: 'user', content: 'Hello' }];

test('models lists the one model', async () => {
  const models = [];
  for await (const m of client.models.list()) models.push(m);
  assert.equal(models.length, 1);
  assert.equal(models[0].object, 'model');
  assert.equal(models[0].id, process.env.AHA_MODEL_NAME);
});

test('chat completion with usage', async () => {
  const r = await client.chat.completions.create({ model: 'whatever', messages, max_tokens: 8, temperature: 0 });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(typeof r.choices[0].message.content, 'string');
  assert.ok(['stop', 'length'].includes(r.choices[0].finish_reason));
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  assert.ok(r.usage.completion_tokens >= 1 && r.usage.completion_tokens <= 8);
});

test('streamed text equals the whole response for the same seed, for each of n choices', async () => {
  const params = { model: 'm', messages, max_completion_tokens: 16, temperature: 1, seed: 11, n: 3 };
  const whole = await client.chat.completions.create(params);
  assert.equal(whole.choices.length, 3);
  const text = ['', '', ''];
  const finish = [null, null, null];
  const stream = await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } });
  let usage = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      text[c.index] += (c.delta.content ?? '') + (c.delta.reasoning_content ?? '');
      if (c.finish_reason) finish[c.index] = c.finish_reason;
    }
  }
  for (let i = 0; i < 3; i++) {
    const m = whole.choices[i].message;
    assert.equal(text[i], (m.content ?? '') + (m.reasoning_content ?? ''), `choice ${i}`);
    assert.equal(finish[i], whole.choices[i].finish_reason);
  }
  assert.deepEqual(usage, whole.usage);
  // Different seeds per choice (seed + i): with 16 sampled tokens, not all three agree.
  assert.ok(new Set(text).size > 1);
});

test('a stop string cuts the text before it', async () => {
  const full = await client.chat.completions.create({ model: 'm', messages, max_tokens: 24, temperature: 0 });
  const text = full.choices[0].message.content;
  // Two whole characters a third of the way in (a random model's text may have no ASCII pair).
  const chars = [...text];
  assert.ok(chars.length >= 3, `too short to stop in ${JSON.stringify(text)}`);
  const from = Math.floor(chars.length / 3);
  const stop = chars.slice(from, from + 2).join('');
  const cut = await client.chat.completions.create({ model: 'm', messages, max_tokens: 24, temperature: 0, stop: [stop] });
  assert.equal(cut.choices[0].message.content, text.slice(0, text.indexOf(stop)));
  assert.equal(cut.choices[0].finish_reason, 'stop');
});

test('logprobs and top_logprobs', async () => {
  const r = await client.chat.completions.create({
    model: 'm', messages, max_tokens: 5, temperature: 0, logprobs: true, top_logprobs: 4 });
  const content = r.choices[0].logprobs.content;
  assert.ok(content.length >= 1);
  for (const e of content) {
    assert.equal(e.top_logprobs.length, 4);
    assert.equal(e.top_logprobs[0].token, e.token);  // greedy picks the most likely token
    assert.ok(e.logprob <= 0);
    for (let k = 1; k < 4; k++) assert.ok(e.top_logprobs[k - 1].logprob >= e.top_logprobs[k].logprob);
  }
});

test('legacy completions', async () => {
  const r = await client.completions.create({ model: 'm', prompt: '12 + 7 =', max_tokens: 4, temperature: 0 });
  assert.equal(r.object, 'text_completion');
  assert.equal(typeof r.choices[0].text, 'string');
});

test('errors arrive as the client\'s typed errors', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'm', messages: [{ role: 'wizard', content: 'hi' }] }),
    (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && /unknown role/.test(e.message));
  await assert.rejects(
    client.chat.completions.create({ model: 'm', messages, max_tokens: -1 }),
    (e) => e instanceof OpenAI.BadRequestError);
});
