/**
 * `mattermost-mcp-bridge serve` as a child process with every role: a post
 * made in the fake reaches an SDK client's wait_for_events through the
 * WebSocket ingest, the workers and the event log; /readyz reports each
 * component; SIGTERM stops the process.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { startFakeMattermost, type FakeMattermost } from '../fake-mattermost';
import { cleanupPrefix, connectRedis, testPrefix, testRedisUrl } from '../helpers/redis';
import { connectClient, eventually } from './harness';

const BIN = join(__dirname, '..', '..', 'bin', 'mattermost-mcp-bridge.js');
const KEY = 'serve-key-0123456789abcdef';

jest.setTimeout(60_000);

describe('serve', () => {
  const prefix = testPrefix('mcp-serve');
  let redis: Redis;
  let fake: FakeMattermost;
  let child: ChildProcessWithoutNullStreams;
  let stderr = '';

  beforeAll(async () => {
    redis = connectRedis();
    fake = await startFakeMattermost();
  });

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await fake.stop();
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
  });

  function serve(args: string[], onStderr: (d: string) => void): ChildProcessWithoutNullStreams {
    const proc = spawn(process.execPath, [BIN, 'serve', ...args], {
      env: {
        PATH: process.env.PATH,
        MATTERMOST_URL: fake.url,
        MATTERMOST_TOKEN: fake.token('bridge-bot'),
        REDIS_URL: testRedisUrl(),
        BRIDGE_REDIS_PREFIX: prefix,
        BRIDGE_PORT: '0',
        BRIDGE_API_KEYS: `agent:${KEY}:read+write`,
        LOG_LEVEL: 'info',
      },
    });
    proc.stderr.setEncoding('utf8').on('data', onStderr);
    proc.stdout.resume();
    return proc;
  }

  /** Posts in the fake while an MCP client long-polls; returns the messages wait_for_events delivered. */
  async function postSeenBy(url: string, post: { user: string; channel: string; message: string }) {
    const { client } = await connectClient(url, KEY);
    try {
      const start = await client.callTool({ name: 'get_events', arguments: { limit: 1 } });
      const cursor = (start.structuredContent as { next_cursor: string }).next_cursor;
      const waiting = client.callTool({
        name: 'wait_for_events',
        arguments: { cursor, timeout_ms: 20_000, types: ['post.created'] },
      });
      await new Promise((r) => setTimeout(r, 200));
      fake.post(post);
      const s = (await waiting).structuredContent as { updates: { data: { post?: { message: string } } }[] };
      return s.updates.map((u) => u.data.post?.message);
    } finally {
      await client.close();
    }
  }

  it('runs ingest, workers and MCP: a post in the fake reaches wait_for_events', async () => {
    child = serve([], (d) => (stderr += d));
    let url = '';
    await eventually(
      () => {
        url = /"msg":"MCP server listening"/.test(stderr) ? (/"url":"([^"]+)"/.exec(stderr)?.[1] ?? '') : '';
        return Boolean(url);
      },
      40_000,
      'the MCP server to listen',
    );
    const base = url.replace(/\/mcp$/, '');
    await eventually(async () => (await fetch(`${base}/readyz`)).status === 200, 20_000, '/readyz to say ready');
    const ready = (await (await fetch(`${base}/readyz`)).json()) as { components: Record<string, { ok: boolean }> };
    expect(Object.keys(ready.components).sort()).toEqual(['queues', 'redis', 'websocket']);

    expect(
      await postSeenBy(url, { user: 'alice', channel: 'town-square', message: 'through the whole bridge' }),
    ).toEqual(['through the whole bridge']);

    child.kill('SIGTERM');
    await eventually(() => child.exitCode !== null || child.signalCode !== null, 20_000, 'the process to stop');
    expect(stderr).not.toContain(KEY);
    expect(stderr).not.toContain(fake.token('bridge-bot'));
  });

  it('split roles: an ingest+worker process and an mcp process share only Redis; each answers probes', async () => {
    let backLog = '';
    let frontLog = '';
    const back = serve(['--roles', 'ingest,worker'], (d) => (backLog += d));
    const front = serve(['--roles', 'mcp'], (d) => (frontLog += d));
    try {
      let opsUrl = '';
      await eventually(
        () =>
          Boolean(
            (opsUrl = /operations endpoints listening[^\n]*/.exec(backLog)
              ? (/"url":"([^"]+)"/.exec(backLog)?.[1] ?? '')
              : ''),
          ),
        40_000,
        'the ingest/worker process to listen',
      );
      expect((await fetch(`${opsUrl}/healthz`)).status).toBe(200);
      await eventually(async () => (await fetch(`${opsUrl}/readyz`)).status === 200, 20_000, 'ingest to be ready');
      expect((await fetch(`${opsUrl}/mcp`, { method: 'POST' })).status).toBe(404);
      expect((await fetch(`${opsUrl}/metrics`)).status).toBe(401);

      let url = '';
      await eventually(
        () => Boolean((url = /"url":"([^"]+\/mcp)"/.exec(frontLog)?.[1] ?? '')),
        40_000,
        'the mcp process to listen',
      );
      expect(await postSeenBy(url, { user: 'bob', channel: 'off-topic', message: 'across split roles' })).toEqual([
        'across split roles',
      ]);
    } finally {
      for (const p of [back, front]) if (p.exitCode === null) p.kill('SIGTERM');
      await eventually(
        () => [back, front].every((p) => p.exitCode !== null || p.signalCode !== null),
        20_000,
        'both processes to stop',
      );
    }
  });
});
