/**
 * `mattermost-mcp-bridge stdio` as a child process: every line on stdout is a
 * JSON-RPC message (logs, even at debug level, go to stderr), and with no
 * `serve` running its in-process ingest and workers deliver live posts.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { startFakeMattermost, type FakeMattermost } from '../fake-mattermost';
import { cleanupPrefix, connectRedis, testPrefix, testRedisUrl } from '../helpers/redis';

const BIN = join(__dirname, '..', '..', 'bin', 'mattermost-mcp-bridge.js');

describe('stdio', () => {
  const prefix = testPrefix('mcp-stdio');
  let redis: Redis;
  let fake: FakeMattermost;
  let child: ChildProcessWithoutNullStreams;
  let stdout = '';
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

  function responses(): Map<number, { result?: Record<string, unknown>; error?: unknown }> {
    const out = new Map();
    for (const line of stdout.split('\n').filter(Boolean)) {
      const msg = JSON.parse(line) as { id?: number };
      if (typeof msg.id === 'number') out.set(msg.id, msg);
    }
    return out;
  }

  async function until(check: () => boolean, ms: number, what: string) {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr: ${stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('serves initialize, tools, resources and get_events with only JSON-RPC on stdout', async () => {
    child = spawn(process.execPath, [BIN, 'stdio'], {
      env: {
        PATH: process.env.PATH,
        MATTERMOST_URL: fake.url,
        MATTERMOST_TOKEN: fake.token('bridge-bot'),
        REDIS_URL: testRedisUrl(),
        BRIDGE_REDIS_PREFIX: prefix,
        LOG_LEVEL: 'debug',
      },
    });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const send = (msg: unknown) => child.stdin.write(JSON.stringify(msg) + '\n');

    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'stdio-test', version: '1' } },
    });
    await until(() => responses().has(1), 30_000, 'initialize');
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    send({ jsonrpc: '2.0', id: 3, method: 'resources/list' });
    send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'get_events', arguments: { limit: 5 } } });
    send({ jsonrpc: '2.0', id: 5, method: 'resources/subscribe', params: { uri: 'mattermost://events' } });
    send({ jsonrpc: '2.0', id: 6, method: 'no/such/method' });
    await until(() => [2, 3, 4, 5, 6].every((id) => responses().has(id)), 15_000, 'all responses');

    const r = responses();
    expect((r.get(1)!.result as { serverInfo: { name: string } }).serverInfo.name).toBe('mattermost-mcp-bridge');
    const tools = (r.get(2)!.result as { tools: { name: string }[] }).tools.map((t) => t.name);
    expect(tools).toEqual(
      expect.arrayContaining(['get_events', 'wait_for_events', 'create_post', 'respond_to_command']),
    );
    const resources = (r.get(3)!.result as { resources: { uri: string }[] }).resources.map((x) => x.uri);
    expect(resources).toContain('mattermost://events');
    const events = r.get(4)!.result as { isError?: boolean; structuredContent: { next_cursor: string } };
    expect(events.isError).toBeFalsy();
    expect(events.structuredContent.next_cursor).toMatch(/^\d+-\d+$/);
    expect(r.get(5)!.result).toEqual({});
    expect(r.get(6)!.error).toMatchObject({ code: -32601 });

    // no `serve` runs: the stdio process's own ingest and workers carry a post to its client
    const cursor = events.structuredContent.next_cursor;
    send({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'wait_for_events', arguments: { cursor, timeout_ms: 20_000, types: ['post.created'] } },
    });
    await until(() => /"msg":"WebSocket connected"/.test(stderr), 20_000, 'the in-process ingest to connect');
    fake.post({ user: 'alice', channel: 'town-square', message: 'heard over stdio' });
    await until(() => responses().has(7), 25_000, 'wait_for_events to return the post');
    const waited = responses().get(7)!.result as {
      structuredContent: { updates: { data: { post: { message: string } } }[] };
    };
    expect(waited.structuredContent.updates.map((u) => u.data.post.message)).toEqual(['heard over stdio']);
    await until(
      () => stdout.includes('"method":"notifications/resources/updated"'),
      10_000,
      'the events subscription to be notified',
    );

    child.stdin.end();
    await until(() => child.exitCode !== null, 15_000, 'the process to exit after stdin ends');
    expect(child.exitCode).toBe(0);

    const lines = stdout.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(8);
    for (const line of lines) {
      expect(() => JSONRPCMessageSchema.parse(JSON.parse(line))).not.toThrow();
    }
    // the logs went to stderr, as JSON lines
    expect(stderr).toMatch(/"msg":"MCP server on stdio"/);
    expect(stderr).not.toContain(fake.token('bridge-bot'));
  });
});
