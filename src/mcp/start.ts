/**
 * Starting the MCP role: the fan-out reader loop, the session manager and the
 * HTTP app on BRIDGE_HOST:BRIDGE_PORT. `stop()` closes local sessions
 * without forgetting them (clients resume on another instance).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { BridgeServices } from '../app/services';
import { ALL_TOOLS, selectTools } from '../tools/inventory';
import { ApiKeyAuthenticator, type Identity } from './auth';
import { FanOut } from './fanout';
import { createHttpHandler, type ReadinessCheck } from './http/app';
import { SessionManager } from './sessions';
import { installSdkFastPath } from './sdk-fastpath';
import type { AnyTool } from './tools';

export type McpHttpOptions = {
  /** Components for /readyz besides Redis (the serve command adds websocket and queues). */
  readiness?: Record<string, ReadinessCheck>;
  /** Routes of other roles, e.g. POST /slash. */
  mount?: (app: Express) => void;
  /** Override the inventory (tests). */
  tools?: AnyTool[];
  /** Session tuning (tests). */
  maxBlockedMs?: number;
  sweepIntervalMs?: number;
  /** A POST answered within this time gets a JSON body instead of SSE (default JSON_ANSWER_WAIT_MS). */
  jsonAnswerWaitMs?: number;
  handoffWaitMs?: number;
};

export type McpHttpHandle = {
  url: string;
  port: number;
  server: Server;
  sessions: SessionManager;
  fanout: FanOut;
  stop(): Promise<void>;
};

export function toolsFor(services: BridgeServices, all: AnyTool[]) {
  return (identity: Pick<Identity, 'scopes'>) =>
    selectTools(all, {
      toolsets: services.config.BRIDGE_TOOLSETS,
      readOnly: services.config.BRIDGE_READ_ONLY,
      scopes: identity.scopes,
    });
}

export async function startMcpHttp(services: BridgeServices, opts: McpHttpOptions = {}): Promise<McpHttpHandle> {
  installSdkFastPath();
  const log = services.log.child({ role: 'mcp' });
  const all = opts.tools ?? ALL_TOOLS;
  const fanout = new FanOut(services, log);
  await fanout.start();
  const sessions = new SessionManager({
    services,
    fanout,
    log,
    toolsFor: toolsFor(services, all),
    maxBlockedMs: opts.maxBlockedMs,
    sweepIntervalMs: opts.sweepIntervalMs,
    jsonAnswerWaitMs: opts.jsonAnswerWaitMs,
    handoffWaitMs: opts.handoffWaitMs,
  });
  await sessions.start();
  const handler = createHttpHandler({
    services,
    sessions,
    auth: new ApiKeyAuthenticator(services.config, services.policy),
    allTools: all,
    log,
    readiness: opts.readiness,
    mount: opts.mount,
  });
  const server = createServer(handler);
  // SSE streams are long-lived: no request timeout, keep idle sockets a while.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(services.config.BRIDGE_PORT, services.config.BRIDGE_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = services.config.BRIDGE_HOST.includes(':')
    ? `[${services.config.BRIDGE_HOST}]`
    : services.config.BRIDGE_HOST;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}/mcp`;
  log.info({ url }, 'MCP server listening');
  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    server,
    sessions,
    fanout,
    stop() {
      stopped ??= (async () => {
        await sessions.stop();
        await fanout.stop();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return stopped;
    },
  };
}
