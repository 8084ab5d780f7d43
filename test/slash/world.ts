/**
 * A world for end-to-end slash-command tests, from real parts: the fake
 * Mattermost, `install` run against it (bot, token, command pointing at the
 * bridge, tokens in Redis), the bridge's services on the installed bot's
 * token, the MCP HTTP app with POST /slash mounted, the `slash` BullMQ
 * worker, and users' WebSockets to see the ephemeral answers Mattermost
 * shows them.
 */
import { Client4 } from '@mattermost/client';
import type { Redis } from 'ioredis';
import pino from 'pino';
import WebSocket from 'ws';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { BridgeServices } from '../../src/app/services';
import { loadConfig, type BridgeConfig } from '../../src/config/load';
import { createEventLog, type RedisEventLog } from '../../src/eventlog';
import { runInstall, type InstallReport } from '../../src/install/install';
import { createMattermostClient, type ResilientClient4 } from '../../src/mattermost/client';
import { CachedDirectory } from '../../src/mattermost/directory-cache';
import { startMcpHttp, type McpHttpHandle } from '../../src/mcp/start';
import { ChannelPolicy } from '../../src/policy/channel-policy';
import { redisKeys } from '../../src/redis/keys';
import { createSlashRouter, createSlashWorker, respondToCommandTools, SlashFollowups } from '../../src/slash';
import type { SlashRouterDeps } from '../../src/slash/router';
import { streamsTools } from '../../src/tools/toolsets/streams';
import { RedisWatchList } from '../../src/watches';
import { startFakeMattermost, type FakeMattermost } from '../fake-mattermost';
import { freePort } from '../helpers/ports';
import { cleanupPrefix, connectRedis, testPrefix, testRedisUrl } from '../helpers/redis';
import type { AnyTool } from '../../src/mcp/tools';
import type { Worker } from 'bullmq';

export const AGENT_KEY = 'agent-key-0123456789abcdef';
export const READER_KEY = 'reader-key-0123456789abcdef';

export type InvokeResult = {
  status: number;
  response?: { response_type: string; text: string };
  error?: { id: string; message: string };
  reply?: { status: number; contentType: string; body: string };
  request?: { headers: Record<string, string>; form: [string, string][] };
};

type Ephemeral = { userId: string; channelId: string; message: string };

/** What one user's Mattermost client would show: ephemeral messages arriving over the WebSocket. */
class UserSocket {
  readonly seen: Ephemeral[] = [];
  private ws?: WebSocket;

  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  async open(): Promise<void> {
    const ws = new WebSocket(`${this.url.replace(/^http/, 'ws')}/api/v4/websocket`, {
      headers: { Authorization: `Bearer ${this.token}` },
    });
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (raw) => {
        const msg = JSON.parse(raw.toString()) as { event?: string; data?: { post?: string } };
        if (msg.event === 'hello') resolve();
        if (msg.event === 'ephemeral_message' && msg.data?.post) {
          const post = JSON.parse(msg.data.post) as { user_id: string; channel_id: string; message: string };
          this.seen.push({ userId: post.user_id, channelId: post.channel_id, message: post.message });
        }
      });
      ws.on('error', reject);
    });
  }

  close(): void {
    this.ws?.terminate();
  }
}

export type WorldOptions = {
  env?: Record<string, string>;
  router?: Partial<SlashRouterDeps>;
};

export class SlashWorld {
  readonly lines: string[] = [];
  fake!: FakeMattermost;
  redis!: Redis;
  prefix!: string;
  config!: BridgeConfig;
  services!: BridgeServices & { eventLog: RedisEventLog };
  followups!: SlashFollowups;
  worker!: Worker;
  http!: McpHttpHandle;
  publicUrl!: string;
  install!: InstallReport;
  bot!: ResilientClient4;
  admin!: Client4;
  private sockets = new Map<string, UserSocket>();
  private clients: Client[] = [];

  static async start(options: WorldOptions = {}): Promise<SlashWorld> {
    const w = new SlashWorld();
    w.fake = await startFakeMattermost();
    w.redis = connectRedis();
    w.prefix = testPrefix('slash');
    const port = await freePort();
    w.publicUrl = `http://127.0.0.1:${port}`;
    const base = { REDIS_URL: testRedisUrl(), BRIDGE_REDIS_PREFIX: w.prefix, LOG_LEVEL: 'silent' };
    w.install = await runInstall(
      loadConfig({ env: base }),
      { url: w.fake.url, adminToken: w.fake.token('admin'), publicUrl: w.publicUrl, team: ['acme'] },
      { print: (l) => w.lines.push(l), redis: w.redis },
    );
    w.admin = new Client4();
    w.admin.setUrl(w.fake.url);
    w.admin.setToken(w.fake.token('admin'));
    // The installed bot posts its questions in town-square; off-topic and dev stay without it.
    await w.admin.addToChannel(w.install.botUserId, w.fake.channel('town-square').id);

    w.config = loadConfig({
      env: {
        ...base,
        MATTERMOST_URL: w.fake.url,
        MATTERMOST_TOKEN: w.install.botToken as string,
        BRIDGE_HOST: '127.0.0.1',
        BRIDGE_PORT: String(port),
        BRIDGE_PUBLIC_URL: w.publicUrl,
        BRIDGE_API_KEYS: `agent:${AGENT_KEY}:read+write,reader:${READER_KEY}:read`,
        ...options.env,
      },
    });
    const keys = redisKeys(w.prefix);
    const log = pino({ level: process.env.MMB_TEST_LOGS ? 'debug' : 'silent' });
    w.bot = createMattermostClient({
      url: w.fake.url,
      token: w.config.MATTERMOST_TOKEN,
      timeoutMs: w.config.BRIDGE_MM_TIMEOUT,
      ratePerSec: 1000,
      baseDelayMs: 5,
      maxDelayMs: 50,
      log,
    });
    const directory = new CachedDirectory(w.bot);
    const policy = new ChannelPolicy({
      allow: w.config.BRIDGE_CHANNELS_ALLOW,
      deny: w.config.BRIDGE_CHANNELS_DENY,
      allowDirect: w.config.BRIDGE_ALLOW_DIRECT,
    });
    w.services = {
      config: w.config,
      log,
      redis: w.redis,
      queueRedis: w.redis,
      keys,
      eventLog: createEventLog(w.config, w.redis, keys, log),
      watches: new RedisWatchList({ redis: w.redis, keys, directory, policy, teams: w.config.BRIDGE_TEAMS, log }),
      mattermost: w.bot,
      directory,
      policy,
    };
    w.followups = new SlashFollowups(w.redis, keys);
    w.worker = createSlashWorker(w.services, { followups: w.followups });
    w.http = await startMcpHttp(w.services, {
      tools: [...streamsTools, ...respondToCommandTools] as AnyTool[],
      mount: (app) => {
        app.use('/slash', createSlashRouter(w.services, { followups: w.followups, ...options.router }));
      },
    });
    return w;
  }

  /** `/mcp <text>` typed by a user in a channel, through the fake's control API. */
  async invoke(user: string, channel: string, text: string, command = 'mcp'): Promise<InvokeResult> {
    const res = await fetch(`${this.fake.url}/__fake/commands/invoke`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user, channel, command, text }),
    });
    return (await res.json()) as InvokeResult;
  }

  /** The user's WebSocket (opened on first use) to watch their ephemeral messages. */
  async socket(user: string): Promise<UserSocket> {
    let s = this.sockets.get(user);
    if (!s) {
      s = new UserSocket(this.fake.url, this.fake.token(user));
      await s.open();
      this.sockets.set(user, s);
    }
    return s;
  }

  /**
   * What the user finally sees for an invocation: the inline answer, or, when
   * the bridge said "Working on", the ephemeral that follows through response_url.
   */
  async answer(user: string, channel: string, text: string): Promise<string> {
    const sock = await this.socket(user);
    const before = sock.seen.length;
    const r = await this.invoke(user, channel, text);
    if (r.status !== 200 || !r.response) throw new Error(`invoke failed: ${JSON.stringify(r)}`);
    if (!r.response.text.startsWith('Working on')) return r.response.text;
    await eventually(() => sock.seen.length > before + 1, 15_000, 'the delayed answer');
    return sock.seen[before + 1].message;
  }

  async slashTokens(): Promise<string[]> {
    return this.redis.hvals(this.services.keys.slashTokens);
  }

  async mcpClient(key = AGENT_KEY): Promise<Client> {
    const client = new Client({ name: 'slash-test-agent', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(this.http.url), {
        requestInit: { headers: { Authorization: `Bearer ${key}` } },
      }),
    );
    this.clients.push(client);
    return client;
  }

  posts(): { id: string; channel_id: string; user_id: string; root_id: string; message: string }[] {
    return (this.fake.snapshot() as { posts: never[] }).posts;
  }

  async stop(): Promise<void> {
    for (const c of this.clients) await c.close().catch(() => undefined);
    for (const s of this.sockets.values()) s.close();
    await this.http?.stop();
    await this.worker?.close();
    await this.followups?.close();
    await this.services?.eventLog.close();
    await cleanupPrefix(this.redis, this.prefix);
    this.redis.disconnect();
    await this.fake?.stop();
  }
}

export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
