/**
 * Operations routes every bridge process serves, whatever its roles:
 * /healthz (alive, no auth), /readyz (each component, no auth: it reveals
 * only up/down) and /metrics (Prometheus text; needs an API key with the
 * admin scope, or BRIDGE_AUTH=none — no endpoint but health goes without auth).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import type { BridgeServices } from '../../app/services';
import { registry } from '../../metrics/registry';
import { ApiKeyAuthenticator, hasScope } from '../auth';
import { httpLogger } from '../../logging/http';

export type ComponentStatus = { ok: boolean; detail?: string };
export type ReadinessCheck = () => Promise<ComponentStatus>;

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export type OpsOptions = {
  services: Pick<BridgeServices, 'redis'>;
  auth: ApiKeyAuthenticator;
  /** Components reported by /readyz besides Redis (e.g. websocket, queues). */
  readiness?: Record<string, ReadinessCheck>;
};

export function mountOpsRoutes(app: Express, { services, auth, readiness }: OpsOptions): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const checks: Record<string, ReadinessCheck> = {
      redis: async () => ({ ok: (await services.redis.ping()) === 'PONG' }),
      ...readiness,
    };
    const components: Record<string, ComponentStatus> = {};
    await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          components[name] = await withTimeout(check(), 2000);
        } catch (err) {
          components[name] = { ok: false, detail: (err as Error).message };
        }
      }),
    );
    const ready = Object.values(components).every((c) => c.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', components });
  });

  app.get('/metrics', async (req, res) => {
    const identity = auth.authenticate(req.headers.authorization);
    if (!identity) {
      res
        .status(401)
        .set('WWW-Authenticate', 'Bearer realm="mattermost-mcp-bridge"')
        .json({ error: 'an API key with the admin scope is needed for /metrics' });
      return;
    }
    if (!hasScope(identity, 'admin')) {
      res
        .status(403)
        .set('WWW-Authenticate', 'Bearer error="insufficient_scope", scope="admin"')
        .json({ error: `key "${identity.keyName}" lacks the admin scope that /metrics needs` });
      return;
    }
    res.set('content-type', registry.contentType);
    res.send(await registry.metrics());
  });
}

/** The operations routes alone, for processes without the mcp role (ingest/worker pods need probes too). */
export async function startOpsHttp(
  services: Pick<BridgeServices, 'redis' | 'config' | 'policy' | 'log'>,
  readiness: Record<string, ReadinessCheck>,
): Promise<{ url: string; server: Server; stop(): Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  app.use(httpLogger(services.log));
  mountOpsRoutes(app, { services, auth: new ApiKeyAuthenticator(services.config, services.policy), readiness });
  app.use((_req, res) => {
    res.status(404).json({ error: 'this process serves only /healthz, /readyz and /metrics (no mcp role)' });
  });
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(services.config.BRIDGE_PORT, services.config.BRIDGE_HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
