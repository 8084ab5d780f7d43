/**
 * `mattermost-mcp-bridge sandbox` (also `npm run sandbox`): everything a
 * newcomer needs to watch an agent receive Mattermost posts live, on one
 * machine, with nothing to configure:
 *
 *   Redis (REDIS_URL, else a private redis-server, else the default URL)
 *   → the fake Mattermost with its default seed
 *   → `install` into it (bot, token, /mcp pointing at this bridge's /slash)
 *   → the bridge with every role on 127.0.0.1, a fresh API key, its own prefix
 *   → /readyz says ready → alice and bob start chatting
 *   → the URL, key and client configs (or one JSON line with --json).
 *
 * SIGINT/SIGTERM stop all of it in reverse order; a second Ctrl-C forces it.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { startBridge } from '../app/serve';
import { CliError } from '../cli/errors';
import { loadConfig, requireForServe } from '../config/load';
import { CONFIG_KEY_NAMES, ROLES } from '../config/schema';
import { parseDuration } from '../config/duration';
import { runInstall } from '../install/install';
import { connectRedis } from '../redis/connect';
import { startChatter } from './chatter';
import { startSandboxFake } from './fake';
import { jsonLine, renderInstructions, type SandboxInfo } from './instructions';
import { findRedis, freePort, type SandboxRedis } from './redis';

export type SandboxOptions = { json?: boolean; port?: string };

/** The sandbox's own knob (not a bridge setting): time between two chatter steps. */
export const CHATTER_ENV = 'SANDBOX_CHATTER_INTERVAL';
export const DEFAULT_CHATTER_MS = 4000;
/** Signals closer together than this count as one Ctrl-C. */
const REPEAT_WINDOW_MS = 1000;

/** Bridge settings the sandbox decides; every other key is taken from the environment as usual. */
const DECIDED_KEYS = new Set([
  'MATTERMOST_URL',
  'MATTERMOST_TOKEN',
  'REDIS_URL',
  'BRIDGE_HOST',
  'BRIDGE_PORT',
  'BRIDGE_PUBLIC_URL',
  'BRIDGE_API_KEYS',
  'BRIDGE_API_KEYS_FILE',
  'BRIDGE_AUTH',
  'BRIDGE_REDIS_PREFIX',
  'BRIDGE_TEAMS',
  'BRIDGE_SLASH_TOKENS',
]);

export interface RunningSandbox {
  info: SandboxInfo;
  botUsername: string;
  chatterMs: number;
  /** The private redis-server's pid, when the sandbox started one. */
  redisPid?: number;
  stop(): Promise<void>;
}

class Interrupted extends Error {}

/** Stops what was started, newest first; each step's failure is reported and the rest still run. */
class Teardown {
  private steps: { name: string; run: () => Promise<unknown> }[] = [];
  private done?: Promise<void>;
  constructor(private readonly note: (line: string) => void) {}

  add(name: string, run: () => Promise<unknown>): void {
    this.steps.push({ name, run });
  }

  run(): Promise<void> {
    this.done ??= (async () => {
      for (const step of this.steps.reverse()) {
        await step.run().catch((err: unknown) => this.note(`stopping ${step.name} failed: ${(err as Error).message}`));
      }
    })();
    return this.done;
  }
}

export function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n > 65535) {
    throw new CliError(`--port: expected a port number 0-65535 (0 = any free port), got ${JSON.stringify(value)}`, 2);
  }
  return n === 0 ? undefined : n;
}

export function chatterInterval(env: NodeJS.ProcessEnv): number {
  const raw = env[CHATTER_ENV];
  if (raw === undefined || raw === '') return DEFAULT_CHATTER_MS;
  const ms = parseDuration(raw);
  if (ms === undefined || ms < 100 || ms > 3_600_000) {
    throw new CliError(
      `${CHATTER_ENV}: must be a duration from 100ms to 1h, e.g. ${CHATTER_ENV}=2s (got ${JSON.stringify(raw.slice(0, 40))})`,
      2,
    );
  }
  return ms;
}

async function waitReady(base: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = await res.text();
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new CliError(`the bridge did not become ready within ${timeoutMs / 1000} s (/readyz: ${last.slice(0, 300)})`);
}

async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}

/**
 * Starts everything and resolves once the bridge is ready and the chatter
 * runs. `interrupted()` is checked between steps, so a Ctrl-C during start-up
 * stops what already runs instead of finishing the start.
 */
export async function startSandbox(
  opts: SandboxOptions,
  env: NodeJS.ProcessEnv,
  note: (line: string) => void,
  interrupted: () => boolean = () => false,
): Promise<RunningSandbox> {
  const requestedPort = parsePort(opts.port);
  const chatterMs = chatterInterval(env);
  const teardown = new Teardown(note);
  const step = () => {
    if (interrupted()) throw new Interrupted('interrupted');
  };
  try {
    const redisHandle: SandboxRedis = await findRedis(env, note);
    teardown.add('Redis', () => redisHandle.stop());
    note(`Redis: ${redisHandle.origin}${redisHandle.pid ? ` (pid ${redisHandle.pid})` : ''}`);
    step();

    const prefix = `mmb-sandbox-${randomBytes(4).toString('hex')}`;
    const redis = connectRedis(redisHandle.url, { maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    teardown.add('the Redis connection', async () => redis.quit().catch(() => redis.disconnect()));
    if (redisHandle.origin !== 'private redis-server') {
      // A shared Redis keeps nothing of the sandbox once it stops.
      teardown.add(`the keys under ${prefix}:`, () => deletePrefix(redis, prefix));
    }

    const fake = await startSandboxFake();
    teardown.add('the simulated Mattermost', () => fake.stop());
    note(`Mattermost (simulated): ${fake.url}`);
    step();

    const port = requestedPort ?? (await freePort());
    const publicUrl = `http://127.0.0.1:${port}`;
    const apiKey = `mmb-sandbox-${randomBytes(18).toString('base64url')}`;
    const adminToken = fake.token('admin');
    const passthrough = Object.fromEntries(
      CONFIG_KEY_NAMES.filter((k) => !DECIDED_KEYS.has(k) && env[k] !== undefined).map((k) => [k, env[k]]),
    );
    const bridgeEnv = (token?: string): NodeJS.ProcessEnv => ({
      LOG_LEVEL: 'warn',
      ...passthrough,
      MATTERMOST_URL: fake.url,
      MATTERMOST_TOKEN: token,
      REDIS_URL: redisHandle.url,
      BRIDGE_HOST: '127.0.0.1',
      BRIDGE_PORT: String(port),
      BRIDGE_PUBLIC_URL: publicUrl,
      BRIDGE_API_KEYS: `sandbox:${apiKey}:read+write+admin`,
      BRIDGE_AUTH: 'keys',
      BRIDGE_REDIS_PREFIX: prefix,
    });

    // The real install flow: bot account, its token, the team, /mcp → <bridge>/slash, command tokens in Redis.
    const installed = await runInstall(
      loadConfig({ env: bridgeEnv() }),
      { url: fake.url, adminToken, publicUrl },
      { print: () => {}, redis },
    );
    if (!installed.botToken) throw new CliError('install did not create a bot token in the fresh simulated Mattermost');
    const botUsername = fake.user(installed.botUserId).username;
    note(`installed: bot @${botUsername}, /mcp → ${publicUrl}/slash`);
    step();

    const config = loadConfig({ env: bridgeEnv(installed.botToken) });
    requireForServe(config, { apiKeys: true, mattermost: true });
    const bridge = await startBridge(config, [...ROLES]);
    teardown.add('the bridge', () => bridge.stop());
    if (!bridge.url) throw new CliError('the bridge started without its MCP role');
    await waitReady(publicUrl, 30_000);
    note(`bridge ready: ${bridge.url}`);
    step();

    const alice = fake.user('alice');
    const bob = fake.user('bob');
    const chatter = startChatter({
      url: fake.url,
      alice,
      bob,
      channels: { 'town-square': fake.channel('town-square').id, 'off-topic': fake.channel('off-topic').id },
      botUsername,
      intervalMs: chatterMs,
      onError: (err, name) => note(`chatter: ${name} failed: ${(err as Error).message}`),
    });
    teardown.add('the chatter', () => chatter.stop());

    return {
      info: { mcpUrl: bridge.url, apiKey, mattermostUrl: fake.url, adminToken, redisUrl: redisHandle.url },
      botUsername,
      chatterMs,
      redisPid: redisHandle.pid,
      stop: () => teardown.run(),
    };
  } catch (err) {
    await teardown.run();
    throw err;
  }
}

/** The CLI entry: start, print, and stop everything on SIGINT/SIGTERM. */
export async function runSandbox(opts: SandboxOptions): Promise<void> {
  const note = (line: string) => process.stderr.write(`sandbox: ${line}\n`);
  let signals = 0;
  let firstSignalAt = 0;
  let running: RunningSandbox | undefined;
  let stopping: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    // Under `npm run` a Ctrl-C reaches us twice within milliseconds: from the terminal's
    // process group and relayed by tsx. Only a later one is the user pressing it again.
    if (signals > 0 && Date.now() - firstSignalAt < REPEAT_WINDOW_MS) return;
    signals += 1;
    if (signals === 1) firstSignalAt = Date.now();
    if (signals > 1) {
      note(`${signal} again: exiting now`);
      process.exit(130); // the exit hook still kills a private redis-server
    }
    if (!running) {
      note(`${signal}: stopping what has started so far`);
      return; // startSandbox sees it between steps and tears down
    }
    note(`${signal}: stopping (press Ctrl-C again to force)`);
    stopping ??= running.stop().then(() => {
      note('stopped; nothing is left running');
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // Everything is closed; should a library still hold a handle, do not hang on it.
      setTimeout(() => process.exit(0), 2000).unref();
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    running = await startSandbox(opts, process.env, note, () => signals > 0);
  } catch (err) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (err instanceof Interrupted) return;
    throw err;
  }
  if (signals > 0) {
    signals = 0;
    firstSignalAt = 0;
    onSignal('SIGINT');
    return;
  }
  if (opts.json) {
    process.stdout.write(jsonLine(running.info) + '\n');
  } else {
    process.stdout.write(
      renderInstructions(running.info, { botUsername: running.botUsername, chatterMs: running.chatterMs }),
    );
  }
}
