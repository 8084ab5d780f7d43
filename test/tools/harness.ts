/**
 * A world for tool tests, from real parts: the fake Mattermost (REST over
 * HTTP), the real resilient Client4 and cached Directory on it, the run's
 * Redis under a private prefix, the real channel policy, and tools called
 * through the MCP layer's own `callTool` (argument validation, error mapping,
 * output cap). Services the Mattermost tools never touch (event log, watch
 * list) throw when used instead of being faked.
 */
import type { Redis } from 'ioredis';
import pino from 'pino';
import { z, type ZodRawShape } from 'zod';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { BridgeServices } from '../../src/app/services';
import type { Scope } from '../../src/config/api-keys';
import { loadConfig } from '../../src/config/load';
import { createMattermostClient, type ResilienceOptions, type ResilientClient4 } from '../../src/mattermost/client';
import { CachedDirectory } from '../../src/mattermost/directory-cache';
import { callTool, type AnyTool, type Extra } from '../../src/mcp/tools';
import { ChannelPolicy, type KeyChannelRules } from '../../src/policy/channel-policy';
import { redisKeys } from '../../src/redis/keys';
import type { SessionInfo } from '../../src/tools/context';
import { startFakeMattermost, type FakeMattermost } from '../fake-mattermost';
import { cleanupPrefix, connectRedis, testPrefix, testRedisUrl } from '../helpers/redis';
import { channelsTools } from '../../src/tools/toolsets/channels';
import { commandsTools } from '../../src/tools/toolsets/commands';
import { contextTools } from '../../src/tools/toolsets/context';
import { filesTools } from '../../src/tools/toolsets/files';
import { postsTools } from '../../src/tools/toolsets/posts';
import { reactionsTools } from '../../src/tools/toolsets/reactions';
import { usersTools } from '../../src/tools/toolsets/users';

export const MATTERMOST_TOOLS: AnyTool[] = [
  ...contextTools,
  ...channelsTools,
  ...postsTools,
  ...reactionsTools,
  ...usersTools,
  ...filesTools,
  ...commandsTools,
] as AnyTool[];

export type WorldOptions = {
  env?: Record<string, string>;
  /** Resilience settings of the client (fast retries by default). */
  resilience?: Partial<ResilienceOptions>;
  /** Start the fake with the default seed (default true). */
  fake?: FakeMattermost;
};

export type CallOptions = {
  scopes?: Scope[];
  /** The API key's own channel rules (they narrow the global policy). */
  policy?: KeyChannelRules;
  signal?: AbortSignal;
  progressToken?: string | number;
};

export type ToolAnswer = CallToolResult & {
  text: string;
  progress: { progress: number; total?: number; message?: string }[];
};

function unused<T>(what: string): T {
  return new Proxy(
    {},
    {
      get: (_t, prop) => {
        if (prop === 'then') return undefined;
        throw new Error(`${what}.${String(prop)} is not used by the Mattermost tools`);
      },
    },
  ) as T;
}

export class ToolWorld {
  readonly services: BridgeServices;
  readonly client: ResilientClient4;
  readonly directory: CachedDirectory;

  private constructor(
    readonly fake: FakeMattermost,
    readonly redis: Redis,
    readonly prefix: string,
    env: Record<string, string>,
    resilience: Partial<ResilienceOptions>,
    private readonly ownsFake: boolean,
  ) {
    const config = loadConfig({
      env: {
        MATTERMOST_URL: fake.url,
        MATTERMOST_TOKEN: fake.token('bridge-bot'),
        REDIS_URL: testRedisUrl(),
        BRIDGE_REDIS_PREFIX: prefix,
        LOG_LEVEL: 'silent',
        ...env,
      },
    });
    const keys = redisKeys(prefix);
    const log = pino({ level: process.env.MMB_TEST_LOGS ? 'debug' : 'silent' });
    this.client = createMattermostClient({
      url: fake.url,
      token: config.MATTERMOST_TOKEN,
      timeoutMs: config.BRIDGE_MM_TIMEOUT,
      ratePerSec: config.BRIDGE_MM_RATE,
      redis,
      budgetKeyPrefix: keys.rateLimit,
      baseDelayMs: 5,
      maxDelayMs: 50,
      log,
      ...resilience,
    });
    this.directory = new CachedDirectory(this.client);
    this.services = {
      config,
      log,
      redis,
      queueRedis: redis,
      keys,
      eventLog: unused('eventLog'),
      watches: unused('watches'),
      mattermost: this.client,
      directory: this.directory,
      policy: ChannelPolicy.fromConfig(config),
    };
  }

  static async start(options: WorldOptions = {}): Promise<ToolWorld> {
    const fake = options.fake ?? (await startFakeMattermost());
    return new ToolWorld(
      fake,
      connectRedis(),
      testPrefix('tools'),
      options.env ?? {},
      options.resilience ?? {},
      !options.fake,
    );
  }

  tool(name: string): AnyTool {
    const t = MATTERMOST_TOOLS.find((x) => x.name === name);
    if (!t) throw new Error(`no tool ${name}`);
    return t;
  }

  session(opts: CallOptions = {}): SessionInfo {
    // The key's own channel rules narrow the global policy, as for keys from BRIDGE_API_KEYS_FILE.
    const policy = this.services.policy.narrow(opts.policy, 'test-key');
    return { id: 'test-session', keyName: 'test-key', scopes: opts.scopes ?? ['read', 'write'], policy };
  }

  /** Calls a tool as an MCP client would, and checks structuredContent against the tool's output schema. */
  async call(name: string, args: unknown, opts: CallOptions = {}): Promise<ToolAnswer> {
    const tool = this.tool(name);
    const progress: ToolAnswer['progress'] = [];
    const extra = {
      signal: opts.signal ?? new AbortController().signal,
      requestId: 1,
      _meta: opts.progressToken !== undefined ? { progressToken: opts.progressToken } : undefined,
      sendNotification: async (n: { method: string; params: Record<string, unknown> }) => {
        if (n.method === 'notifications/progress') progress.push(n.params as ToolAnswer['progress'][number]);
      },
      sendRequest: async () => {
        throw new Error('no client requests in tool tests');
      },
    } as unknown as Extra;
    const result = await callTool(tool, args, extra, {
      services: this.services,
      session: this.session(opts),
      log: this.services.log,
      outputMaxChars: this.services.config.BRIDGE_OUTPUT_MAX_CHARS,
    });
    const first = result.content[0];
    const text = first && first.type === 'text' ? first.text : '';
    if (!result.isError) {
      const parsed = z
        .object(tool.output as ZodRawShape)
        .strict()
        .safeParse(result.structuredContent);
      if (!parsed.success) {
        throw new Error(`${name}: structuredContent does not match the output schema: ${parsed.error.message}`);
      }
    }
    return { ...result, text, progress };
  }

  async stop(): Promise<void> {
    await cleanupPrefix(this.redis, this.prefix);
    this.redis.disconnect();
    if (this.ownsFake) await this.fake.stop();
  }
}

export function errorOf(answer: ToolAnswer): { category: string; message: string } {
  if (!answer.isError) throw new Error(`expected an error, got: ${answer.text}`);
  return (answer.structuredContent as { error: { category: string; message: string } }).error;
}
