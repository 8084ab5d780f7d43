/**
 * The bridge under test, in its own process (so its RSS and CPU are its own):
 * what `mattermost-mcp-bridge serve` runs — `startBridge(config, every role)`
 * from src/app/serve.ts, configured by the real config loader from the
 * environment.
 *
 * Talks to the bench over IPC: sends `ready` (with the MCP URL) once the
 * ingest's WebSocket is connected and its start-up catch-up is done, answers
 * `stats` (resource usage), `metrics` and `heap-snapshot`, and shuts down on
 * `stop` or when the bench goes away.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { writeHeapSnapshot } from 'node:v8';
import { loadConfig } from '../../src/config/load';
import { startBridge } from '../../src/app/serve';
import { connectRedis } from '../../src/redis/connect';
import { redisKeys } from '../../src/redis/keys';
import { readIngestState } from '../../src/pipeline/ingest';
import { registry } from '../../src/metrics/registry';
import { usage } from './usage';
import { exitWhenOrphaned } from './exit-when-orphaned';
import type { ParentMessage, ChildMessage } from './protocol';

function send(msg: ChildMessage): void {
  process.send?.(msg);
}

async function main(): Promise<void> {
  const config = loadConfig({ env: process.env });
  const bridge = await startBridge(config, ['ingest', 'worker', 'mcp']);
  if (!bridge.url) throw new Error('the bridge started without its MCP endpoint');

  // Ready = the ingest leads, its WebSocket is connected and the start-up catch-up is over.
  const redis = connectRedis(config.REDIS_URL);
  const keys = redisKeys(config.BRIDGE_REDIS_PREFIX);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const s = await readIngestState(redis, keys);
    if (s?.websocket === 'connected' && !s.catchingUp) break;
    if (Date.now() > deadline) throw new Error(`ingest not ready after 30 s: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  redis.disconnect();

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= bridge.stop());
  process.on('message', (msg: ParentMessage) => {
    if (msg.type === 'stats') send({ type: 'stats', id: msg.id, stats: usage() });
    if (msg.type === 'heap-snapshot') send({ type: 'heap-snapshot', id: msg.id, path: writeHeapSnapshot(msg.path) });
    if (msg.type === 'profile') {
      void profiler(msg).then(
        (path) => send({ type: 'profile', id: msg.id, path }),
        (err: Error) => send({ type: 'error', message: err.message }),
      );
    }
    if (msg.type === 'metrics') {
      void registry.getMetricsAsJSON().then((metrics) => send({ type: 'metrics', id: msg.id, metrics }));
    }
    if (msg.type === 'stop') {
      void stop()
        .catch((err: Error) => process.stderr.write(`bench bridge: stop failed: ${err.message}\n`))
        .finally(() => {
          send({ type: 'stopped' });
          process.disconnect?.();
          setTimeout(() => process.exit(0), 50).unref();
        });
    }
  });
  exitWhenOrphaned(stop);
  const me = await loadBotId(config);
  send({ type: 'ready', url: bridge.url, pid: process.pid, botUserId: me, stats: usage() });
}

let session: Session | undefined;

/** CPU profile of a window of the run (node --cpu-prof covers the whole process, start-up included). */
async function profiler(msg: Extract<ParentMessage, { type: 'profile' }>): Promise<string | undefined> {
  const post = <T>(method: string, params?: object) =>
    new Promise<T>((resolve, reject) =>
      session!.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T))),
    );
  if (msg.action === 'start') {
    session = new Session();
    session.connect();
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 500 });
    await post('Profiler.start');
    return undefined;
  }
  const { profile } = await post<{ profile: unknown }>('Profiler.stop');
  session?.disconnect();
  session = undefined;
  writeFileSync(msg.path, JSON.stringify(profile));
  return msg.path;
}

/** The bot's user id (for the report); the bridge resolved it already, this asks once more. */
async function loadBotId(config: ReturnType<typeof loadConfig>): Promise<string> {
  const res = await fetch(`${config.MATTERMOST_URL}/api/v4/users/me`, {
    headers: { Authorization: `Bearer ${config.MATTERMOST_TOKEN}` },
  });
  return ((await res.json()) as { id: string }).id;
}

main().catch((err: Error) => {
  send({ type: 'error', message: err.stack ?? err.message });
  setTimeout(() => process.exit(1), 50);
});
