import type { BridgeConfig } from '../config/load';
import { requireForServe } from '../config/load';
import { createLogger } from '../logging/logger';
import { startStdio } from '../mcp/stdio';
import { createBridgeServices } from './services';

/** `mattermost-mcp-bridge stdio`: the MCP surface on stdin/stdout until stdin ends or a signal arrives. */
export async function runStdio(config: BridgeConfig): Promise<void> {
  requireForServe(config, { apiKeys: false, mattermost: true });
  // stdout belongs to JSON-RPC: the logger writes to stderr only
  const log = createLogger({ level: config.LOG_LEVEL, secrets: config.secrets });
  const services = createBridgeServices(config, log);
  const mcp = await startStdio(services);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await mcp.stop();
      await services.close();
    })());
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  await mcp.closed;
  await stop();
}
