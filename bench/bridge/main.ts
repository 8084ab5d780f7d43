/**
 * The bridge under test, in its own process (so its RSS and CPU are its own):
 * every role from real parts, configured by the real config loader from the
 * environment — the shared services, the partition queues and normalize
 * workers, the WebSocket ingest, and the MCP HTTP server.
 *
 * The project's `serve` command is the integrator's (src/app/serve.ts); until
 * it runs all roles, this file wires them the same way. Talks to the bench
 * over IPC: sends `ready` (with the MCP URL) once the ingest's WebSocket is
 * connected and its start-up catch-up is done, answers `stats` with its
 * resource usage, and shuts down on `stop` or when the bench goes away.
 */
import { loadConfig } from '../../src/config/load';
import { createLogger } from '../../src/logging/logger';
import { createBridgeServices } from '../../src/app/services';
import { EventQueues, startWorkers } from '../../src/pipeline/queue';
import { ingestOptionsFromConfig, startIngest } from '../../src/pipeline/ingest/ingest';
import { startMcpHttp } from '../../src/mcp/start';
import { registry } from '../../src/metrics/registry';
import { usage } from './usage';
import type { ParentMessage, ChildMessage } from './protocol';

function send(msg: ChildMessage): void {
  process.send?.(msg);
}

async function main(): Promise<void> {
  const config = loadConfig({ env: process.env });
  const log = createLogger({ level: config.LOG_LEVEL, secrets: config.secrets, name: 'bench-bridge' });
  const services = createBridgeServices(config, log);
  const me = await services.mattermost.getMe();
  const queues = new EventQueues({
    connection: services.redis,
    keys: services.keys,
    partitions: config.BRIDGE_PARTITIONS,
  });
  const workers = await startWorkers({
    connection: services.redis,
    keys: services.keys,
    partitions: config.BRIDGE_PARTITIONS,
    eventLog: services.eventLog,
    normalize: { directory: services.directory, botUserId: me.id, botUsername: me.username, log },
    isStreamed: (id, hint) => services.watches.isStreamed(id, hint),
    log,
  });
  const ingest = await startIngest(
    {
      redis: services.redis,
      keys: services.keys,
      log,
      client: services.mattermost,
      token: config.MATTERMOST_TOKEN!,
      watches: services.watches,
      queues,
    },
    ingestOptionsFromConfig(config),
  );
  const mcp = await startMcpHttp(services);

  const deadline = Date.now() + 30_000;
  for (;;) {
    const s = ingest.status();
    if (ingest.isLeader() && s.websocket === 'connected' && !s.catchingUp) break;
    if (Date.now() > deadline) throw new Error(`ingest not ready after 30 s: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 20));
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await ingest.stop();
      await mcp.stop();
      await workers.stop();
      await queues.close();
      await services.close();
    })());

  process.on('message', (msg: ParentMessage) => {
    if (msg.type === 'stats') send({ type: 'stats', id: msg.id, stats: usage() });
    if (msg.type === 'metrics') {
      void registry.getMetricsAsJSON().then((metrics) => send({ type: 'metrics', id: msg.id, metrics }));
    }
    if (msg.type === 'stop') {
      void stop()
        .catch((err) => log.error({ err: (err as Error).message }, 'bench bridge: stop failed'))
        .finally(() => {
          send({ type: 'stopped' });
          process.disconnect?.();
          setTimeout(() => process.exit(0), 50).unref();
        });
    }
  });
  process.on('disconnect', () => {
    void stop().finally(() => process.exit(0));
  });
  send({ type: 'ready', url: mcp.url, pid: process.pid, botUserId: me.id, stats: usage() });
}

main().catch((err: Error) => {
  send({ type: 'error', message: err.stack ?? err.message });
  setTimeout(() => process.exit(1), 50);
});
