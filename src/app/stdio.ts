import type { BridgeConfig } from '../config/load';
import { requireForServe } from '../config/load';
import { createLogger } from '../logging/logger';
import { startStdio } from '../mcp/stdio';
import { startBridge } from './serve';
import { createBridgeServices } from './services';

/**
 * `mattermost-mcp-bridge stdio`: the MCP surface on stdin/stdout until stdin
 * ends or a signal arrives. Unless `mcpOnly`, the process also runs the ingest
 * and worker roles, so a lone local client sees live events; when a `serve`
 * already runs against the same Redis, its ingest keeps the lock and this
 * one waits as a standby.
 */
export async function runStdio(config: BridgeConfig, opts: { mcpOnly?: boolean } = {}): Promise<void> {
  requireForServe(config, { apiKeys: false, mattermost: true });
  // stdout belongs to JSON-RPC: the logger writes to stderr only
  const log = createLogger({ level: config.LOG_LEVEL, secrets: config.secrets });
  const services = createBridgeServices(config, log);
  const pipeline = opts.mcpOnly
    ? undefined
    : await startBridge(config, ['ingest', 'worker'], { services, opsHttp: false });
  const mcp = await startStdio(services);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await mcp.stop();
      await (pipeline ? pipeline.stop() : services.close());
    })());
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  await mcp.closed;
  await stop();
}
