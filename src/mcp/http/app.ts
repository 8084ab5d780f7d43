/**
 * The bridge's HTTP server: /mcp (Streamable HTTP, `mcp-route.ts`, a plain
 * node:http handler on the hot path) and, in express 5, the operations routes
 * of `ops.ts` (/healthz, /readyz, /metrics) plus the routes other roles mount
 * (e.g. /slash) through `mount`.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { Scope } from '../../config/api-keys';
import type { BridgeServices } from '../../app/services';
import type { Logger } from '../../logging/logger';
import type { ApiKeyAuthenticator } from '../auth';
import type { SessionManager } from '../sessions';
import type { AnyTool } from '../tools';
import { UPLOAD_MAX_CONTENT_CHARS } from '../../tools/toolsets/files';
import { forbidden, hostPolicy } from './guards';
import { isMcpPath, mcpRoute, rpcError } from './mcp-route';
import { KeyRateLimiter } from '../../redis/key-rate-limiter';
import { mountOpsRoutes, type ReadinessCheck } from './ops';

/**
 * Largest /mcp request body: upload_file's largest argument (a file of FILE_MAX_BYTES in base64,
 * about 7 MB) plus 1 MiB for the JSON-RPC envelope and escaping. It was the SDK's 4 MiB, which
 * refused uploads above about 3 MB although the tool promises 5 MiB.
 */
export const MCP_MAX_BODY_BYTES = UPLOAD_MAX_CONTENT_CHARS + 1024 * 1024;

export type { ComponentStatus, ReadinessCheck } from './ops';

export type HttpAppOptions = {
  services: BridgeServices;
  sessions: SessionManager;
  auth: ApiKeyAuthenticator;
  /** Every tool of the inventory (for the scope a tools/call needs). */
  allTools: AnyTool[];
  log: Logger;
  /** Components reported by /readyz besides Redis (e.g. websocket, queues). */
  readiness?: Record<string, ReadinessCheck>;
  /** Extra routes of other roles (e.g. POST /slash), in the express app beside the operations routes. */
  mount?: (app: Express) => void;
};

export function createHttpHandler(opts: HttpAppOptions): RequestListener {
  const { services, sessions, auth, log } = opts;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  mountOpsRoutes(app, { services, auth, readiness: opts.readiness });

  opts.mount?.(app);

  const limiter = new KeyRateLimiter(
    new RateLimiterRedis({
      storeClient: services.redis,
      keyPrefix: services.keys.rateLimit,
      points: services.config.BRIDGE_RATE_LIMIT,
      duration: 60,
    }),
    (err) => log.warn({ err }, 'rate limiter unavailable; a request went through uncounted'),
  );
  const mcp = mcpRoute({
    sessions,
    auth,
    limiter,
    hosts: hostPolicy(services.config),
    toolScopes: new Map(opts.allTools.map((t) => [t.name, t.scope as Scope])),
    maxBodyBytes: MCP_MAX_BODY_BYTES,
    log,
  });

  // Errors of mounted routes (body parsers, guards) as JSON-RPC errors.
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err.type === 'entity.too.large') {
      res.status(413).json(rpcError(-32000, 'Request body too large'));
    } else if (err.type === 'entity.parse.failed') {
      res.status(400).json(rpcError(-32700, 'Parse error: invalid JSON'));
    } else if (err.status === 403) {
      res.status(403).json(forbidden(err.message));
    } else {
      log.error({ err }, 'HTTP request failed');
      res.status(err.status ?? 500).json(rpcError(-32603, 'Internal error'));
    }
  });
  return (req: IncomingMessage, res: ServerResponse) => (isMcpPath(req.url) ? mcp(req, res) : app(req, res));
}
