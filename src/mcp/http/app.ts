/**
 * The bridge's HTTP app (express 5): /mcp (Streamable HTTP, API keys, Host and
 * Origin checks, body cap, per-key rate limit) plus the operations routes of
 * `ops.ts` (/healthz, /readyz, /metrics).
 * Other roles mount their routes (e.g. /slash) through `mount`.
 */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Scope } from '../../config/api-keys';
import type { BridgeServices } from '../../app/services';
import type { Logger } from '../../logging/logger';
import { ApiKeyAuthenticator, hasScope, type Identity } from '../auth';
import type { SessionManager } from '../sessions';
import type { AnyTool } from '../tools';
import { UPLOAD_MAX_CONTENT_CHARS } from '../../tools/toolsets/files';
import { forbidden, hostOriginGuard, hostPolicy } from './guards';
import { KeyRateLimiter } from './rate-limit';
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
  /** Extra routes of other roles (e.g. POST /slash), mounted before /mcp's 404. */
  mount?: (app: Express) => void;
};

type Authed = Request & { identity?: Identity };

function rpcError(code: number, message: string, data?: unknown) {
  return { jsonrpc: '2.0', error: { code, message, ...(data !== undefined && { data }) }, id: null };
}

/** The scope each JSON-RPC request in a body needs (tools/call: the tool's own scope). */
export function scopesNeeded(body: unknown, toolScopes: Map<string, Scope>): Scope[] {
  const messages = Array.isArray(body) ? body : [body];
  const out = new Set<Scope>();
  for (const m of messages) {
    if (!m || typeof m !== 'object') continue;
    const { method, params } = m as { method?: unknown; params?: { name?: unknown } };
    if (typeof method !== 'string') continue;
    if (method === 'tools/call') {
      const scope = typeof params?.name === 'string' ? toolScopes.get(params.name) : undefined;
      if (scope) out.add(scope);
    } else if (method.startsWith('resources/') || method === 'tools/list' || method === 'completion/complete') {
      out.add('read');
    }
  }
  return [...out];
}

export function createHttpApp(opts: HttpAppOptions): Express {
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
  const toolScopes = new Map(opts.allTools.map((t) => [t.name, t.scope as Scope]));

  const authenticate = (req: Authed, res: Response, next: NextFunction) => {
    const identity = auth.authenticate(req.headers.authorization);
    if (!identity) {
      const given = Boolean(req.headers.authorization);
      res
        .status(401)
        .set(
          'WWW-Authenticate',
          given
            ? 'Bearer realm="mattermost-mcp-bridge", error="invalid_token", error_description="unknown API key"'
            : 'Bearer realm="mattermost-mcp-bridge"',
        )
        .json(
          rpcError(
            -32001,
            given ? 'Unauthorized: unknown API key' : 'Unauthorized: send Authorization: Bearer <API key>',
          ),
        );
      return;
    }
    req.identity = identity;
    next();
  };

  const rateLimit = async (req: Authed, res: Response, next: NextFunction) => {
    try {
      await limiter.consume(req.identity!.keyName);
      next();
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        const seconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
        res
          .status(429)
          .set('Retry-After', String(seconds))
          .json(
            rpcError(
              -32000,
              `Too many requests for this API key; retry in ${seconds} s (BRIDGE_RATE_LIMIT per minute)`,
            ),
          );
        return;
      }
      log.warn({ err }, 'rate limiter unavailable; letting the request through');
      next();
    }
  };

  const parseJson = express.json({ limit: MCP_MAX_BODY_BYTES, type: () => true });

  const checkScopes = (req: Authed, res: Response, next: NextFunction) => {
    const identity = req.identity!;
    const missing = scopesNeeded(req.body, toolScopes).filter((s) => !hasScope(identity, s));
    if (missing.length) {
      res
        .status(403)
        .set(
          'WWW-Authenticate',
          `Bearer realm="mattermost-mcp-bridge", error="insufficient_scope", scope="${missing.join(' ')}"`,
        )
        .json(
          rpcError(
            -32003,
            `Forbidden: the API key "${identity.keyName}" lacks the ${missing.join(', ')} scope this call needs`,
            { error: 'insufficient_scope', scope: missing.join(' ') },
          ),
        );
      return;
    }
    next();
  };

  const handle = async (req: Authed, res: Response) => {
    try {
      await sessions.handle(req, res, req.identity!, req.method === 'POST' ? req.body : undefined);
    } catch (err) {
      log.error({ err }, 'MCP request failed');
      if (!res.headersSent) res.status(500).json(rpcError(-32603, 'Internal error'));
      else res.end();
    }
  };

  const guard = hostOriginGuard(hostPolicy(services.config));
  app.post('/mcp', guard, authenticate, rateLimit, parseJson, checkScopes, handle);
  app.get('/mcp', guard, authenticate, rateLimit, handle);
  app.delete('/mcp', guard, authenticate, rateLimit, handle);
  app.all('/mcp', guard, (_req, res) => {
    res.status(405).set('Allow', 'GET, POST, DELETE').json(rpcError(-32000, 'Method not allowed.'));
  });

  // Body-parser errors (too large, bad JSON) as JSON-RPC errors.
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err.type === 'entity.too.large') {
      res.status(413).json(rpcError(-32000, `Request body larger than ${MCP_MAX_BODY_BYTES} bytes`));
    } else if (err.type === 'entity.parse.failed') {
      res.status(400).json(rpcError(-32700, 'Parse error: invalid JSON'));
    } else if (err.status === 403) {
      res.status(403).json(forbidden(err.message));
    } else {
      log.error({ err }, 'HTTP request failed');
      res.status(err.status ?? 500).json(rpcError(-32603, 'Internal error'));
    }
  });
  return app;
}
