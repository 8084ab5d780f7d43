/**
 * `/mcp` (Streamable HTTP) as a plain `node:http` handler: Host and Origin
 * checks, API key, per-key rate limit, JSON body with a cap, the scope each
 * JSON-RPC request needs, then the session manager. It is the path of every
 * tool call and every `wait_for_events` answer, so it skips express's router
 * and body parser (about a tenth of a call's CPU in the bridge); the other
 * routes stay in express (app.ts). Every refusal is a JSON-RPC error body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Scope } from '../../config/api-keys';
import type { Logger } from '../../logging/logger';
import { hasScope, type ApiKeyAuthenticator, type Identity } from '../auth';
import type { SessionManager } from '../sessions';
import { forbidden, hostOriginProblem, type HostPolicy } from './guards';
import type { KeyRateLimiter } from '../../redis/key-rate-limiter';

export type McpRouteOptions = {
  sessions: SessionManager;
  auth: ApiKeyAuthenticator;
  limiter: KeyRateLimiter;
  hosts: HostPolicy;
  /** The scope each tool needs (tools/call). */
  toolScopes: Map<string, Scope>;
  maxBodyBytes: number;
  log: Logger;
};

export function rpcError(code: number, message: string, data?: unknown) {
  return { jsonrpc: '2.0', error: { code, message, ...(data !== undefined && { data }) }, id: null };
}

/** Whether a request URL is the /mcp route (a trailing slash, a query and letter case do not matter, as in express). */
export function isMcpPath(url: string | undefined): boolean {
  if (!url) return false;
  const q = url.indexOf('?');
  const path = (q < 0 ? url : url.slice(0, q)).toLowerCase();
  return path === '/mcp' || path === '/mcp/';
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

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

type BodyResult = { ok: true; body: unknown } | { ok: false; status: number; code: number; message: string };

/** A Map, not an object: the header's value must not reach `constructor` and the like. */
const DECODERS = new Map<string, () => NodeJS.ReadWriteStream>([
  ['gzip', createGunzip],
  ['x-gzip', createGunzip],
  ['deflate', createInflate],
  ['br', createBrotliDecompress],
]);

/**
 * The request body as JSON: at most `limit` bytes (after Content-Encoding), UTF-8, an object or an
 * array (JSON-RPC has nothing else). Resolves undefined when the client went away.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<BodyResult | undefined> {
  const tooLarge: BodyResult = {
    ok: false,
    status: 413,
    code: -32000,
    message: `Request body larger than ${limit} bytes`,
  };
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    return Promise.resolve({
      ok: false,
      status: 415,
      code: -32000,
      message: `Unsupported charset "${charset}": send UTF-8`,
    });
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  let source: Readable | NodeJS.ReadWriteStream = req;
  if (encoding !== 'identity') {
    const decoder = DECODERS.get(encoding);
    if (!decoder) {
      return Promise.resolve({
        ok: false,
        status: 415,
        code: -32000,
        message: `Unsupported Content-Encoding "${encoding.slice(0, 40)}": send identity, gzip, deflate or br`,
      });
    }
    source = req.pipe(decoder());
  } else if (Number(req.headers['content-length']) > limit) {
    req.resume(); // discard it; the answer goes out at once
    return Promise.resolve(tooLarge);
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (r: BodyResult | undefined) => {
      if (settled) return;
      settled = true;
      source.removeListener('data', onData);
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.unpipe();
        req.resume();
        settle(tooLarge);
      } else chunks.push(chunk);
    };
    source.on('data', onData);
    source.once('error', () =>
      settle(
        encoding === 'identity'
          ? undefined
          : { ok: false, status: 400, code: -32700, message: `Parse error: the body is not valid ${encoding}` },
      ),
    );
    req.once('aborted', () => settle(undefined));
    source.once('end', () => {
      const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8').replace(/^\uFEFF/, '');
      const first = /\S/.exec(text)?.[0];
      if (first !== '{' && first !== '[') {
        settle({
          ok: false,
          status: 400,
          code: -32700,
          message: first ? 'Parse error: invalid JSON' : 'Parse error: empty body',
        });
        return;
      }
      try {
        settle({ ok: true, body: JSON.parse(text) as unknown });
      } catch {
        settle({ ok: false, status: 400, code: -32700, message: 'Parse error: invalid JSON' });
      }
    });
  });
}

/** The /mcp handler; errors it does not expect become a 500 with a JSON-RPC error. */
export function mcpRoute(opts: McpRouteOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { sessions, auth, limiter, hosts, toolScopes, log } = opts;

  /** Host/Origin, method, key and rate limit; the identity when the request may go on, else answered here. */
  async function admit(req: IncomingMessage, res: ServerResponse): Promise<Identity | undefined> {
    const refused = hostOriginProblem(hosts, req.headers);
    if (refused) {
      sendJson(res, 403, forbidden(refused));
      return undefined;
    }
    if (req.method !== 'POST' && req.method !== 'GET' && req.method !== 'DELETE') {
      sendJson(res, 405, rpcError(-32000, 'Method not allowed.'), { allow: 'GET, POST, DELETE' });
      return undefined;
    }
    const identity = auth.authenticate(req.headers.authorization);
    if (!identity) {
      const given = Boolean(req.headers.authorization);
      sendJson(
        res,
        401,
        rpcError(
          -32001,
          given ? 'Unauthorized: unknown API key' : 'Unauthorized: send Authorization: Bearer <API key>',
        ),
        {
          'www-authenticate': given
            ? 'Bearer realm="mattermost-mcp-bridge", error="invalid_token", error_description="unknown API key"'
            : 'Bearer realm="mattermost-mcp-bridge"',
        },
      );
      return undefined;
    }
    try {
      await limiter.consume(identity.keyName);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) {
        log.warn({ err }, 'rate limiter unavailable; letting the request through');
        return identity;
      }
      const seconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      sendJson(
        res,
        429,
        rpcError(-32000, `Too many requests for this API key; retry in ${seconds} s (BRIDGE_RATE_LIMIT per minute)`),
        { 'retry-after': String(seconds) },
      );
      return undefined;
    }
    return identity;
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const identity = await admit(req, res);
    if (!identity) return;
    let body: unknown;
    if (req.method === 'POST') {
      const read = await readJsonBody(req, opts.maxBodyBytes);
      if (!read) return; // the client went away
      if (!read.ok) {
        sendJson(
          res,
          read.status,
          rpcError(read.code, read.message),
          read.status === 413 ? { connection: 'close' } : {},
        );
        return;
      }
      body = read.body;
      const missing = scopesNeeded(body, toolScopes).filter((s) => !hasScope(identity, s));
      if (missing.length) {
        sendJson(
          res,
          403,
          rpcError(
            -32003,
            `Forbidden: the API key "${identity.keyName}" lacks the ${missing.join(', ')} scope this call needs`,
            { error: 'insufficient_scope', scope: missing.join(' ') },
          ),
          {
            'www-authenticate': `Bearer realm="mattermost-mcp-bridge", error="insufficient_scope", scope="${missing.join(' ')}"`,
          },
        );
        return;
      }
    }
    await sessions.handle(req, res, identity, body);
  }

  return (req, res) => {
    serve(req, res).catch((err: unknown) => {
      log.error({ err }, 'MCP request failed');
      if (!res.headersSent) sendJson(res, 500, rpcError(-32603, 'Internal error'));
      else res.end();
    });
  };
}
