/**
 * `mattermost-mcp-bridge serve [--roles ingest,worker,mcp]`: builds the shared
 * services once and starts the chosen roles; SIGINT/SIGTERM stop them in
 * reverse order (ingest hands its lock over, workers finish their jobs, MCP
 * sessions stay in Redis so clients resume on another instance).
 */
import type { BridgeConfig } from '../config/load';
import { requireForServe } from '../config/load';
import type { ROLES } from '../config/schema';
import { createLogger } from '../logging/logger';
import { startMcpHttp } from '../mcp/start';
import { startOpsHttp, type ReadinessCheck } from '../mcp/http/ops';
import { restJobs, startCatchupWorker } from '../pipeline/catchup';
import { ingestOptionsFromConfig, isIngestReady, readIngestState, startIngest } from '../pipeline/ingest';
import { EventQueues, startWorkers } from '../pipeline/queue';
import { createSlashRouter, createSlashWorker, SlashFollowups } from '../slash';
import { createBridgeServices, type BridgeServices } from './services';

export type Role = (typeof ROLES)[number];

export type RunningBridge = { url?: string; stop(): Promise<void> };

export type StartOptions = {
  /** Share services with another front end (stdio); they are closed by `stop()` either way. */
  services?: BridgeServices & { close(): Promise<void> };
  /** Serve /healthz, /readyz, /metrics when the mcp role is absent (default true; stdio has no port). */
  opsHttp?: boolean;
};

/** Starts the roles and returns a handle (used by runServe, runStdio and the sandbox). */
export async function startBridge(
  config: BridgeConfig,
  roles: Role[],
  opts: StartOptions = {},
): Promise<RunningBridge> {
  const services =
    opts.services ?? createBridgeServices(config, createLogger({ level: config.LOG_LEVEL, secrets: config.secrets }));
  const { log } = services;
  const stops: (() => Promise<unknown>)[] = [() => services.close()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err) => log.error({ err }, 'stopping failed'));
  };
  try {
    const { redis, queueRedis, keys } = services;
    const queues = new EventQueues({ connection: queueRedis, keys, partitions: config.BRIDGE_PARTITIONS, log });
    stops.push(() => queues.close());
    const followups = new SlashFollowups(queueRedis, keys, log);
    stops.push(() => followups.close());
    let url: string | undefined;

    if (roles.includes('worker')) {
      const me = await services.mattermost.getMe();
      const workers = await startWorkers({
        connection: queueRedis,
        keys,
        partitions: config.BRIDGE_PARTITIONS,
        eventLog: services.eventLog,
        normalize: { directory: services.directory, botUserId: me.id, botUsername: me.username, log },
        isStreamed: (id, hint) => services.watches.isStreamed(id, hint),
        onJobStarted: (partition, jobId) => queues.starts.noteStarted(partition, jobId),
        onJobAppended: (partition, jobId) => queues.starts.noteAppended(partition, jobId),
        log,
      });
      stops.push(() => workers.stop());
      const catchup = await startCatchupWorker({
        connection: queueRedis,
        keys,
        log,
        ...restJobs({
          client: services.mattermost,
          watches: services.watches,
          redis,
          keys,
          queues,
          botUserId: me.id,
          log,
        }),
      });
      stops.push(() => catchup.stop());
      const slashWorker = createSlashWorker(services, { followups });
      stops.push(() => slashWorker.close());
    }

    if (roles.includes('ingest')) {
      const ingest = await startIngest(
        {
          redis,
          queueRedis,
          keys,
          log,
          client: services.mattermost,
          token: config.MATTERMOST_TOKEN!,
          watches: services.watches,
          queues,
        },
        ingestOptionsFromConfig(config),
      );
      stops.push(() => ingest.stop());
    }

    const readiness: Record<string, ReadinessCheck> = {
      websocket: async () => {
        const status = await readIngestState(redis, keys);
        return { ok: isIngestReady(status), detail: status ? status.websocket : 'no active ingest' };
      },
      queues: async () => {
        const counts = await Promise.all(queues.queues.map((q) => q.getWaitingCount()));
        return { ok: true, detail: `${counts.reduce((a, b) => a + b, 0)} events waiting` };
      },
    };
    if (roles.includes('mcp')) {
      const mcp = await startMcpHttp(services, {
        mount: (app) => app.use('/slash', createSlashRouter(services, { followups })),
        readiness,
      });
      stops.push(() => mcp.stop());
      url = mcp.url;
    } else if (opts.opsHttp !== false) {
      // ingest/worker-only processes still answer probes and scrapes
      const ops = await startOpsHttp(services, readiness);
      stops.push(() => ops.stop());
      log.info({ url: ops.url }, 'operations endpoints listening (/healthz, /readyz, /metrics)');
    }
    log.info({ roles, url }, 'bridge started');
    return { url, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

export async function runServe(config: BridgeConfig, opts: { roles: Role[] }): Promise<void> {
  requireForServe(config, { apiKeys: opts.roles.includes('mcp'), mattermost: true });
  const bridge = await startBridge(config, opts.roles);
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= bridge.stop());
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
