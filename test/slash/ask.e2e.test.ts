import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { eventually, READER_KEY, SlashWorld } from './world';

let w: SlashWorld;

beforeAll(async () => {
  w = await SlashWorld.start();
});

afterAll(async () => {
  await w?.stop();
});

type Update = {
  type: string;
  channelId: string;
  userId: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- update data is free-form JSON
  data: Record<string, any>;
};
type Events = { updates: Update[]; next_cursor: string };

async function call(client: Client, name: string, args: Record<string, unknown>) {
  return client.callTool({ name, arguments: args }, undefined, { timeout: 30_000 });
}

describe('/mcp ask: the agent inbox', () => {
  it('says plainly that no agent is connected, and still keeps the task in the inbox', async () => {
    const r = await w.invoke('alice', 'town-square', 'ask anyone there?');
    expect(r.response?.response_type).toBe('ephemeral');
    expect(r.response?.text).toMatch(
      /^No agent is connected right now, so nobody will pick this up until one connects/,
    );
    const requestId = /request `([a-z0-9]{26})`/.exec(r.response?.text ?? '')?.[1];
    expect(requestId).toBeDefined();
    const log = await w.services.eventLog.read({ streams: ['mattermost://commands'], limit: 10 });
    expect(log.updates.map((u) => [u.type, u.data.requestId])).toEqual([['command.invoked', requestId]]);
  });

  it('an SDK client sees the task through wait_for_events, answers it, and the answer is in the thread', async () => {
    const agent = await w.mcpClient();
    const start = (await call(agent, 'get_events', { streams: ['mattermost://commands'] })).structuredContent as Events;
    const waiting = call(agent, 'wait_for_events', {
      cursor: start.next_cursor,
      streams: ['mattermost://commands'],
      timeout_ms: 20_000,
    });

    const r = await w.invoke('alice', 'town-square', 'ask summarize\nthe last hour');
    expect(r.response?.text).toMatch(
      /^Queued for agents, 1 listening \(request `[a-z0-9]{26}`\)\. The answer will come as a reply in a thread/,
    );

    const got = (await waiting).structuredContent as Events;
    expect(got.updates).toHaveLength(1);
    const task = got.updates[0];
    expect(task).toMatchObject({
      type: 'command.invoked',
      channelId: w.fake.channel('town-square').id,
      userId: w.fake.user('alice').id,
      data: {
        command: { text: 'summarize\nthe last hour', username: 'alice', channelName: 'town-square', status: 'open' },
      },
    });
    const requestId = task.data.requestId as string;

    const answer = await call(agent, 'respond_to_command', {
      request_id: requestId,
      message: 'All quiet: **3** posts.',
    });
    expect(answer.isError).toBeFalsy();
    const out = answer.structuredContent as Record<string, string>;
    expect(out).toMatchObject({
      request_id: requestId,
      status: 'answered',
      delivered_via: 'thread',
      channel: '~town-square',
    });

    const posts = w.posts();
    const question = posts.find((p) => p.id === out.root_id);
    expect(question).toMatchObject({
      user_id: w.install.botUserId,
      channel_id: w.fake.channel('town-square').id,
      root_id: '',
    });
    expect(question?.message).toBe(
      `**@alice** asked the agents (request \`${requestId}\`):\n> summarize\n> the last hour`,
    );
    const reply = posts.find((p) => p.id === out.post_id);
    expect(reply).toMatchObject({
      root_id: question?.id,
      user_id: w.install.botUserId,
      message: '@alice All quiet: **3** posts.',
    });
    expect(out.permalink).toBe(`${w.fake.url}/acme/pl/${out.post_id}`);

    // a second answer is refused, clearly
    const again = await call(agent, 'respond_to_command', { request_id: requestId, message: 'me too' });
    expect(again.isError).toBe(true);
    expect(again.structuredContent).toMatchObject({
      error: {
        category: 'conflict',
        message: expect.stringMatching(
          /already answered by agent at .*; a task takes one answer\. To add something, reply in its thread with create_post root_id=/,
        ),
      },
    });
    expect(w.posts().filter((p) => p.root_id === question?.id)).toHaveLength(1);

    // the inbox holds both updates
    const inbox = (await call(agent, 'get_events', { cursor: start.next_cursor, streams: ['mattermost://commands'] }))
      .structuredContent as Events;
    expect(inbox.updates.map((u) => u.type)).toEqual(['command.invoked', 'command.answered']);
    expect(inbox.updates[1].data).toMatchObject({
      requestId,
      answer: { answeredBy: 'agent', postId: out.post_id, message: 'All quiet: **3** posts.', status: 'answered' },
    });
  });

  it('--channel answers in the channel through the response URL', async () => {
    const agent = await w.mcpClient();
    const r = await w.invoke('bob', 'town-square', 'ask --channel what is our deploy day?');
    expect(r.response?.text).toMatch(/The answer will come in this channel\.$/);
    const requestId = /request `([a-z0-9]{26})`/.exec(r.response?.text ?? '')?.[1] as string;
    const answer = await call(agent, 'respond_to_command', { request_id: requestId, message: 'Thursdays.' });
    expect(answer.structuredContent).toMatchObject({ delivered_via: 'channel', post_id: '', root_id: '' });
    // Mattermost made the post from the response URL, as bob (the invoker), in town-square
    const post = w.posts().find((p) => p.message.endsWith('Thursdays.'));
    expect(post).toMatchObject({ user_id: w.fake.user('bob').id, channel_id: w.fake.channel('town-square').id });
    expect(post?.message).toBe('> **@bob** asked: what is our deploy day?\n\nThursdays.');
  });

  it('--private answers only to the asker', async () => {
    const agent = await w.mcpClient();
    const alice = await w.socket('alice');
    const r = await w.invoke('alice', 'off-topic', 'ask --private what did I miss?');
    const requestId = /request `([a-z0-9]{26})`/.exec(r.response?.text ?? '')?.[1] as string;
    const before = w.posts().length;
    const answer = await call(agent, 'respond_to_command', { request_id: requestId, message: 'Nothing much.' });
    expect(answer.structuredContent).toMatchObject({ delivered_via: 'private' });
    await eventually(() => alice.seen.some((e) => e.message === 'Nothing much.'), 5000, 'the private answer');
    expect(w.posts().length).toBe(before);
  });

  it('refuses unknown request ids and read-only keys clearly', async () => {
    const agent = await w.mcpClient();
    const unknown = await call(agent, 'respond_to_command', {
      request_id: 'ybndrfg8ejkmcpqxot1uwisza3',
      message: 'hi',
    });
    expect(unknown.structuredContent).toMatchObject({
      error: { category: 'not_found', message: expect.stringContaining('mattermost://commands') },
    });
    const bad = await call(agent, 'respond_to_command', { request_id: 'nope', message: 'hi' });
    expect(bad.structuredContent).toMatchObject({ error: { category: 'validation' } });
    const reader = await w.mcpClient(READER_KEY);
    expect((await reader.listTools()).tools.map((t) => t.name)).not.toContain('respond_to_command');
    await expect(
      call(reader, 'respond_to_command', { request_id: 'ybndrfg8ejkmcpqxot1uwisza3', message: 'hi' }),
    ).rejects.toThrow(/lacks the write scope/);
  });

  it('posts the question from the worker even when no agent answers', async () => {
    const r = await w.invoke('alice', 'town-square', 'ask lonely question');
    const requestId = /request `([a-z0-9]{26})`/.exec(r.response?.text ?? '')?.[1] as string;
    await eventually(
      () => w.posts().some((p) => p.message.includes(`request \`${requestId}\``)),
      10_000,
      'the question post',
    );
  });
});
