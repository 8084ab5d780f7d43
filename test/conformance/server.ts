/**
 * A bridge for the MCP conformance suite: the fake Mattermost, the real
 * services on the given Redis, and the MCP HTTP server with BRIDGE_AUTH=none
 * on 127.0.0.1 (the suite sends no credentials). Prints one JSON line
 * {"url"} when ready; SIGINT/SIGTERM stop everything.
 *
 * Usage: tsx test/conformance/server.ts   (env: REDIS_URL, BRIDGE_PORT, BRIDGE_REDIS_PREFIX)
 */
import { createBridgeServices } from '../../src/app/services';
import { loadConfig } from '../../src/config/load';
import { createLogger } from '../../src/logging/logger';
import { startMcpHttp } from '../../src/mcp/start';
import { startFakeMattermost } from '../fake-mattermost';

async function main() {
  const fake = await startFakeMattermost();
  const config = loadConfig({
    env: {
      REDIS_URL: process.env.REDIS_URL,
      BRIDGE_REDIS_PREFIX: process.env.BRIDGE_REDIS_PREFIX ?? 'mmb-conformance',
      BRIDGE_PORT: process.env.BRIDGE_PORT ?? '0',
      BRIDGE_HOST: '127.0.0.1',
      BRIDGE_AUTH: 'none',
      MATTERMOST_URL: fake.url,
      MATTERMOST_TOKEN: fake.token('bridge-bot'),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    },
  });
  const log = createLogger({ level: config.LOG_LEVEL, secrets: config.secrets });
  const services = createBridgeServices(config, log);
  const mcp = await startMcpHttp(services);
  process.stdout.write(JSON.stringify({ url: mcp.url.replace('127.0.0.1', 'localhost') }) + '\n');
  const stop = async () => {
    await mcp.stop();
    await services.close();
    await fake.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err) => {
  process.stderr.write(`conformance server failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
