/**
 * Resources and subscriptions end to end: an SDK Client over real HTTP, a post
 * made in the fake Mattermost, the pipeline's normalizer and the real event
 * log, the fan-out, and the channel policy of a restricted key.
 *
 * Posts travel the whole way: the fake's WebSocket → the leader-elected ingest
 * → BullMQ partition queues → normalize workers → the event log → the MCP
 * fan-out (the pipeline assembled as `serve --roles ingest,worker` runs it).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { startMcpHttp, type McpHttpHandle } from '../../src/mcp/start';
import { URIS } from '../../src/updates/uris';
import { compareCursors } from '../../src/eventlog';
import { startFakeMattermost, type FakeMattermost } from '../fake-mattermost';
import { connectRedis, testPrefix } from '../helpers/redis';
import { startPipeline, type RunningPipeline } from '../pipeline/ingest/pipeline';
import {
  buildServices,
  connectClient,
  eventually,
  mattermostParts,
  stopMcpTest,
  testConfig,
  type TestServices,
} from './harness';

const FULL_KEY = 'full-key-0123456789abcdef';
const TOWN_KEY = 'town-key-0123456789abcdef';

type Updated = { uri: string }[];

function listen(client: Client): Updated {
  const got: Updated = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    got.push({ uri: n.params.uri });
  });
  return got;
}

function jsonOf(result: { contents: { mimeType?: string; text?: unknown }[] }) {
  const c = result.contents.find((x) => x.mimeType === 'application/json');
  return JSON.parse(String(c?.text)) as {
    updates: { cursor: string; channelId?: string; data: { post?: { message: string } } }[];
    nextCursor: string;
  };
}

function textOf(result: { contents: { mimeType?: string; text?: unknown }[] }): string {
  return String(result.contents.find((x) => x.mimeType === 'text/plain')?.text);
}

describe('resources and subscriptions over Streamable HTTP', () => {
  const prefix = testPrefix('mcp-res');
  const dir = mkdtempSync(join(tmpdir(), 'mmb-keys-'));
  let redis: Redis;
  let fake: FakeMattermost;
  let services: TestServices;
  let mcp: McpHttpHandle;
  let pipeline: RunningPipeline;
  let town: string;
  let offTopic: string;

  beforeAll(async () => {
    redis = connectRedis();
    fake = await startFakeMattermost();
    town = fake.channel('town-square').id;
    offTopic = fake.channel('off-topic').id;
    const keysFile = join(dir, 'keys.json');
    writeFileSync(
      keysFile,
      JSON.stringify([
        { name: 'full', key: FULL_KEY, scopes: ['read', 'write'] },
        { name: 'town-only', key: TOWN_KEY, scopes: ['read'], channels: { allow: ['~town-square'], deny: [] } },
      ]),
    );
    const config = testConfig(prefix, {
      MATTERMOST_URL: fake.url,
      MATTERMOST_TOKEN: fake.token('bridge-bot'),
      BRIDGE_API_KEYS: '',
      BRIDGE_API_KEYS_FILE: keysFile,
    });
    const serviceRedis = connectRedis();
    services = buildServices(config, mattermostParts(config, serviceRedis), serviceRedis);
    mcp = await startMcpHttp(services);
    pipeline = await startPipeline({
      redisUrl: config.REDIS_URL,
      prefix,
      mattermostUrl: fake.url,
      token: fake.token('bridge-bot'),
    });
    await eventually(() => pipeline.ingest?.status().websocket === 'connected', 10_000, 'the ingest WebSocket');
  });

  afterAll(async () => {
    await pipeline.stop();
    await stopMcpTest({ mcp, services, redis, prefix, fake });
    rmSync(dir, { recursive: true, force: true });
  });

  /** Posts in the fake and waits until the fan-out has dispatched the update. */
  async function post(user: string, channel: string, message: string) {
    const seen = new Promise<void>((resolve) => {
      const off = mcp.fanout.onUpdate((u) => {
        if ((u.data as { post?: { message?: string } }).post?.message === message) {
          off();
          resolve();
        }
      });
    });
    const p = fake.post({ user, channel, message });
    await seen;
    return p;
  }

  it('notifies a subscribed channel, shows the post on read, and stops after unsubscribe', async () => {
    const { client } = await connectClient(mcp.url, FULL_KEY);
    const got = listen(client);
    const uri = URIS.channelPosts(town);
    await client.subscribeResource({ uri });

    await post('alice', 'town-square', 'hello from alice');
    await eventually(() => got.some((n) => n.uri === uri), 5000, 'notifications/resources/updated');

    const read = await client.readResource({ uri });
    const body = jsonOf(read);
    const last = body.updates[body.updates.length - 1];
    expect(last.data.post?.message).toBe('hello from alice');
    expect(last.cursor).toMatch(/^\d+-\d+$/);
    // the next cursor is at least this update's (the log may have moved on with other streams)
    expect(compareCursors(body.nextCursor, last.cursor)).toBeGreaterThanOrEqual(0);
    expect(textOf(read)).toMatch(/~town-square @alice: hello from alice/);

    // reading after the cursor: nothing newer yet
    const after = jsonOf(await client.readResource({ uri: `${uri}?after=${last.cursor}` }));
    expect(after.updates).toEqual([]);

    await client.unsubscribeResource({ uri });
    const before = got.length;
    await post('alice', 'town-square', 'after unsubscribe');
    // the fan-out has dispatched it; give a notification in flight time to arrive
    await new Promise((r) => setTimeout(r, 200));
    expect(got.length).toBe(before);
    await client.close();
  });

  it('a key allowed only ~town-square never hears of ~off-topic: lists, reads, notifications, events', async () => {
    const { client } = await connectClient(mcp.url, TOWN_KEY);
    const got = listen(client);
    await client.subscribeResource({ uri: URIS.events });
    await client.subscribeResource({ uri: URIS.newChannelPosts });
    await expect(client.subscribeResource({ uri: URIS.channelPosts(offTopic) })).rejects.toThrow(/not available/);
    await expect(client.readResource({ uri: URIS.channelPosts(offTopic) })).rejects.toThrow(/not found/);

    const { client: full } = await connectClient(mcp.url, FULL_KEY);
    const fullGot = listen(full);
    await full.subscribeResource({ uri: URIS.events });

    await post('bob', 'off-topic', 'secret off-topic talk');
    await eventually(() => fullGot.length > 0, 5000, 'the full key to hear of off-topic');
    await new Promise((r) => setTimeout(r, 200));
    // (mattermost://events may fire for channel-less updates such as presence; posts never)
    expect(got.filter((n) => n.uri === URIS.newChannelPosts)).toEqual([]);

    await post('alice', 'town-square', 'public town talk');
    await eventually(
      () => got.some((n) => n.uri === URIS.newChannelPosts) && got.some((n) => n.uri === URIS.events),
      5000,
      'the restricted key to hear of town-square',
    );

    const events = jsonOf(await client.readResource({ uri: URIS.events }));
    expect(events.updates.length).toBeGreaterThan(0);
    // channel-less updates (presence) may appear; nothing of another channel does
    expect(events.updates.some((u) => u.channelId === town)).toBe(true);
    expect(events.updates.filter((u) => u.channelId && u.channelId !== town)).toEqual([]);
    expect(JSON.stringify(events)).not.toContain('secret off-topic talk');

    const tool = await client.callTool({ name: 'get_events', arguments: { limit: 100 } });
    expect(tool.isError).toBeFalsy();
    const structured = tool.structuredContent as { updates: { channelId?: string }[] };
    expect(structured.updates.length).toBeGreaterThan(0);
    expect(structured.updates.filter((u) => u.channelId && u.channelId !== town)).toEqual([]);
    expect(JSON.stringify(tool)).not.toContain('secret off-topic talk');

    const forbidden = await client.callTool({ name: 'get_events', arguments: { channels: ['~off-topic'] } });
    expect(forbidden.isError).toBe(true);
    expect((forbidden.structuredContent as { error: { category: string } }).error.category).toBe('forbidden');

    const fullEvents = jsonOf(await full.readResource({ uri: URIS.events }));
    expect(JSON.stringify(fullEvents)).toContain('secret off-topic talk');
    await client.close();
    await full.close();
  });

  it('notifies mattermost://mentions for posts that mention the bot, and only those', async () => {
    const { client } = await connectClient(mcp.url, FULL_KEY);
    const got = listen(client);
    await client.subscribeResource({ uri: URIS.mentions });
    await post('bob', 'town-square', 'no mention in this one');
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toEqual([]);
    await post('bob', 'town-square', '@bridge-bot can you summarize?');
    await eventually(() => got.some((n) => n.uri === URIS.mentions), 5000, 'a mentions notification');
    const read = jsonOf(await client.readResource({ uri: URIS.mentions }));
    expect(read.updates.map((u) => u.data.post?.message)).toContain('@bridge-bot can you summarize?');
    await client.close();
  });

  it('lists resources and templates, and completes channel ids by name', async () => {
    const { client } = await connectClient(mcp.url, FULL_KEY);
    const { resources } = await client.listResources();
    const uris = resources.map((r) => r.uri);
    for (const uri of [
      URIS.events,
      URIS.newChannelPosts,
      URIS.reactions,
      URIS.mentions,
      URIS.commands,
      URIS.watches,
      URIS.stats,
    ]) {
      expect(uris).toContain(uri);
    }
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual([
      'mattermost://channels/{channel_id}/posts',
      'mattermost://posts/{post_id}/thread',
      'mattermost://users/{user_id}/status',
    ]);
    const completion = await client.complete({
      ref: { type: 'ref/resource', uri: 'mattermost://channels/{channel_id}/posts' },
      argument: { name: 'channel_id', value: 'town' },
    });
    expect(completion.completion.values).toContain(town);
    const stats = await client.readResource({ uri: URIS.stats });
    expect(textOf(stats)).toMatch(/bridge stats/);
    await client.close();
  });

  it('notifies mattermost://watches when the watch list changes', async () => {
    const { client } = await connectClient(mcp.url, FULL_KEY);
    const got = listen(client);
    let listChanged = 0;
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => void listChanged++);
    await client.subscribeResource({ uri: URIS.watches });
    const r = await client.callTool({ name: 'watch_channel', arguments: { channel: '~town-square' } });
    expect(r.isError).toBeFalsy();
    await eventually(() => got.some((n) => n.uri === URIS.watches), 5000, 'watches notification');
    await eventually(() => listChanged > 0, 5000, 'notifications/resources/list_changed');
    const read = await client.readResource({ uri: URIS.watches });
    expect(textOf(read)).toMatch(/~town-square/);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain(URIS.channelPosts(town));
    await client.callTool({ name: 'unwatch_channel', arguments: { channel: '~town-square' } });
    await client.close();
  });

  it('get_bridge_stats and mattermost://stats report the WebSocket, the queues, the log and the sessions', async () => {
    const { client } = await connectClient(mcp.url, FULL_KEY);
    try {
      await post('bob', 'town-square', 'counted in the stats');
      const result = await client.callTool({ name: 'get_bridge_stats', arguments: {} });
      expect(result.isError).toBeFalsy();
      const stats = result.structuredContent as {
        sessions: number;
        log: { entries: number; headCursor: string };
        pipeline: Record<string, string>;
      };
      expect(stats.sessions).toBeGreaterThanOrEqual(1);
      expect(stats.log.entries).toBeGreaterThanOrEqual(1);
      expect(stats.pipeline).toMatchObject({ websocket: 'connected', failed_jobs: '0', polling: 'false' });
      expect(Number(stats.pipeline.events_waiting)).toBeGreaterThanOrEqual(0);
      const text = (result.content as { text: string }[])[0].text;
      expect(text).toMatch(/pipeline: websocket=connected/);
      const read = await client.readResource({ uri: URIS.stats });
      expect(textOf(read)).toMatch(/websocket=connected/);
    } finally {
      await client.close();
    }
  });
});
