/**
 * `mattermost-mcp-bridge sandbox --json` as a child process: its one JSON
 * line, an SDK client that sees alice and bob's chatter arrive through
 * wait_for_events, the printed `/mcp ask` curl reaching the agent inbox, and
 * after SIGINT nothing left: the child, its private redis-server (by pid) and
 * every port it listened on. A second case interrupts it half-way through
 * start-up.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { askCurl, type SandboxInfo } from '../../src/sandbox/instructions';
import { hasRedisServer } from '../helpers/redis-server';
import { connectRedis, testRedisUrl } from '../helpers/redis';

const BIN = join(__dirname, '..', '..', 'bin', 'mattermost-mcp-bridge.js');
const privateRedis = hasRedisServer();

jest.setTimeout(90_000);

type Update = {
  type: string;
  cursor: string;
  data: { post?: { username: string; rootId: string; message: string }; reaction?: unknown; requestId?: string };
};

function startSandbox(): {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  err: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
} {
  // Without REDIS_URL the sandbox starts its own redis-server (the case worth checking by pid);
  // only when there is no redis-server on PATH does it get the run's Redis.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SANDBOX_CHATTER_INTERVAL: '250ms',
    LOG_LEVEL: 'warn',
  };
  if (!privateRedis) env.REDIS_URL = testRedisUrl();
  const child = spawn(process.execPath, [BIN, 'sandbox', '--json'], { env });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, out: () => out, err: () => err, exited };
}

async function until<T>(get: () => T | undefined, ms: number, what: string, log: () => string): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = get();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; stderr:\n${log()}`);
}

function childrenOf(pid: number): { pid: number; command: string }[] {
  const lines = execFileSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' }).split('\n');
  return lines
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 3 && Number(f[1]) === pid)
    .map((f) => ({ pid: Number(f[0]), command: f.slice(2).join(' ') }));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

async function exitWithin(sb: ReturnType<typeof startSandbox>, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      sb.exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the sandbox did not exit; stderr:\n${sb.err()}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const portOf = (url: string) => Number(new URL(url).port);

describe('sandbox', () => {
  const started: ChildProcessWithoutNullStreams[] = [];
  const leftovers: number[] = [];

  afterAll(async () => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const pid of leftovers) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('prints one JSON line, streams chatter to an SDK client, and leaves nothing running after SIGINT', async () => {
    const sb = startSandbox();
    started.push(sb.child);
    const line = await until(
      () => (sb.out().includes('\n') ? sb.out().split('\n')[0] : undefined),
      60_000,
      'the JSON line',
      sb.err,
    );
    const info = JSON.parse(line) as SandboxInfo;
    expect(Object.keys(info)).toEqual(['mcpUrl', 'apiKey', 'mattermostUrl', 'adminToken', 'redisUrl']);
    expect(info.mcpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(info.apiKey.length).toBeGreaterThanOrEqual(16);

    const redisChildren = childrenOf(sb.child.pid!).filter((c) => c.command.startsWith('redis-server'));
    if (privateRedis) {
      expect(redisChildren).toHaveLength(1);
      leftovers.push(redisChildren[0].pid);
    }

    // The admin token really is the fake's system admin.
    const me = await fetch(`${info.mattermostUrl}/api/v4/users/me`, {
      headers: { Authorization: `Bearer ${info.adminToken}` },
    });
    expect(((await me.json()) as { username: string }).username).toBe('admin');

    // Without the key, /mcp says 401; with it, an SDK client follows the chatter live.
    expect((await fetch(info.mcpUrl, { method: 'POST' })).status).toBe(401);
    const client = new Client({ name: 'sandbox-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(info.mcpUrl), {
        requestInit: { headers: { Authorization: `Bearer ${info.apiKey}` } },
      }),
    );
    const seen: Update[] = [];
    const wait = async (cursor: string | undefined, streams?: string[]) => {
      const r = await client.callTool({
        name: 'wait_for_events',
        arguments: { ...(cursor ? { cursor } : {}), ...(streams ? { streams } : {}), timeout_ms: 20_000 },
      });
      expect(r.isError).toBeFalsy();
      return r.structuredContent as { updates: Update[]; next_cursor: string };
    };
    let cursor: string | undefined;
    const deadline = Date.now() + 30_000;
    const hasRoot = () => seen.some((u) => u.type === 'post.created' && u.data.post?.rootId === '');
    const hasReply = () => seen.some((u) => u.type === 'post.created' && u.data.post?.rootId !== '');
    const hasReaction = () => seen.some((u) => u.type === 'reaction.added');
    while (!(hasRoot() && hasReply() && hasReaction()) && Date.now() < deadline) {
      const r = await wait(cursor);
      seen.push(...r.updates);
      cursor = r.next_cursor;
    }
    expect(hasRoot() && hasReply() && hasReaction()).toBe(true);
    const authors = new Set(seen.filter((u) => u.data.post).map((u) => u.data.post!.username));
    expect([...authors].every((a) => a === 'alice' || a === 'bob')).toBe(true);

    // The curl the sandbox prints makes alice run /mcp ask; the task reaches the agents' inbox.
    const inbox = wait(cursor, ['mattermost://commands']);
    await new Promise((r) => setTimeout(r, 200));
    const answer = JSON.parse(execFileSync('sh', ['-c', askCurl(info, 'ask what is new?')], { encoding: 'utf8' })) as {
      status: number;
      response: { text: string };
    };
    expect(answer.status).toBe(200);
    expect(answer.response.text).toMatch(/Queued for agents/);
    const tasks = await inbox;
    expect(tasks.updates.map((u) => u.type)).toContain('command.invoked');
    await client.close();

    const ports = [portOf(info.mcpUrl), portOf(info.mattermostUrl), ...(privateRedis ? [portOf(info.redisUrl)] : [])];
    for (const p of ports) expect(await portOpen(p)).toBe(true);

    // Twice in a row, as under `npm run` (the terminal's group and tsx's relay): still one graceful stop.
    sb.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 10));
    sb.child.kill('SIGINT');
    const exit = await exitWithin(sb, 30_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(sb.err()).not.toContain('exiting now');
    expect(sb.out().trim().split('\n')).toEqual([line]);
    expect(sb.err()).toContain('stopped; nothing is left running');
    expect(sb.err()).not.toContain(info.apiKey);
    for (const pid of leftovers) expect(alive(pid)).toBe(false);
    for (const p of ports) expect(await portOpen(p)).toBe(false);
    if (!privateRedis) {
      // A shared Redis keeps no sandbox keys once it stops.
      const redis = connectRedis();
      try {
        expect(await redis.keys('mmb-sandbox-*')).toEqual([]);
      } finally {
        redis.disconnect();
      }
    }
  });

  it('a SIGINT during start-up stops what had started and exits', async () => {
    const sb = startSandbox();
    started.push(sb.child);
    const fakeUrl = await until(
      () => /Mattermost \(simulated\): (\S+)/.exec(sb.err())?.[1],
      60_000,
      'the simulated Mattermost',
      sb.err,
    );
    const redisPid = Number(/pid (\d+)/.exec(sb.err())?.[1] ?? 0);
    if (redisPid) leftovers.push(redisPid);
    sb.child.kill('SIGINT');
    const exit = await exitWithin(sb, 30_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(sb.err()).toContain('stopping what has started so far');
    expect(sb.out()).toBe('');
    if (privateRedis) expect(alive(redisPid)).toBe(false);
    expect(await portOpen(portOf(fakeUrl))).toBe(false);
  });
});
