/** Wires the fake together: express 5 for REST and the control API, `ws` for the WebSocket. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { FakeApp } from './app';
import { AppError, errors } from './app-error';
import { controlRoutes, snapshot, type ControlDeps } from './control';
import { Faults, type FaultsInput } from './faults';
import { VERSION_ID, apiHeaders, requireSession, sendError, sendJson } from './http';
import { Hub, broadcast, type Broadcast } from './hub';
import { channelRoutes } from './routes-channels';
import { commandHookRoutes, commandRoutes } from './routes-commands';
import { peopleRoutes } from './routes-people';
import { MAX_FILE_SIZE, postRoutes } from './routes-posts';
import { DEFAULT_SEED, Seeder, type SeedInput, type SeedState, type SeededChannel, type SeededUser } from './seed';
import { SlashCommands, type ExecuteResult } from './slash';
import { Store } from './store';
import { postWire } from './wire';
import { FakeWebSocketServer } from './ws-server';
import { SERVER_VERSION } from './hub';

export interface FakeMattermostOptions {
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  host?: string;
  /** How long an inactive WebSocket connection (and its replay queue) is kept: 5 minutes by default. */
  reapAfterMs?: number;
  /** SiteURL, used in slash-command `response_url`s; defaults to the fake's own URL. */
  siteUrl?: string;
  /** Load the default seed (default true). */
  seed?: boolean;
  /** Outgoing slash-command request timeout (OutgoingIntegrationRequestsTimeout): 30 s by default. */
  commandTimeoutMs?: number;
  /** Unauthenticated sockets are closed after this long (authCheckInterval): 5 s by default. */
  authTimeoutMs?: number;
}

export interface FakeMattermost {
  /** `http://127.0.0.1:N`, the base for Client4.setUrl. */
  readonly url: string;
  /** Ids and tokens of every team, user and channel, by name (recomputed on each read). */
  readonly state: SeedState;
  user(ref: string): SeededUser;
  channel(ref: string): SeededChannel;
  token(ref: string): string;
  seed(input: SeedInput): SeedState;
  post(input: {
    user: string;
    channel: string;
    message: string;
    root_id?: string;
    props?: Record<string, unknown>;
    file_ids?: string[];
  }): Record<string, unknown>;
  publishEvent(input: { event: string; data?: Record<string, unknown>; broadcast?: Partial<Broadcast> }): void;
  dropWebSockets(): number;
  reapInactive(): number;
  setFaults(input: FaultsInput): void;
  invokeCommand(input: {
    user: string;
    channel: string;
    command: string;
    text?: string;
    root_id?: string;
  }): Promise<ExecuteResult>;
  snapshot(): Record<string, unknown>;
  readonly app: FakeApp;
  readonly store: Store;
  readonly hub: Hub;
  readonly faults: Faults;
  stop(): Promise<void>;
}

export async function startFakeMattermost(options: FakeMattermostOptions = {}): Promise<FakeMattermost> {
  const store = new Store();
  const hub = new Hub(store, options.reapAfterMs ?? 5 * 60 * 1000);
  const app = new FakeApp(store, hub);
  const faults = new Faults();
  const seeder = new Seeder(app);
  let url = '';
  const siteUrl = () => options.siteUrl ?? url;
  const slash = new SlashCommands(app, siteUrl, () => options.commandTimeoutMs ?? 30_000);
  if (options.seed !== false) seeder.apply(DEFAULT_SEED);

  const web = express();
  web.disable('x-powered-by');
  web.disable('etag');
  web.use(express.raw({ type: () => true, limit: MAX_FILE_SIZE + 1024 * 1024 }));

  const deps: ControlDeps = { app, seeder, faults, slash, url: () => url, siteUrl };
  web.use(controlRoutes(deps));

  const withFaults = async (req: Request, res: Response, next: NextFunction) => {
    if (!(await faults.handle(req, res, req.originalUrl.split('?')[0]))) next();
  };
  web.use('/hooks', withFaults);
  web.use(commandHookRoutes(slash));

  const api = express.Router();
  api.use(apiHeaders);
  api.use(withFaults);
  api.get('/system/ping', (_req, res) => sendJson(res, 200, { ActiveSearchBackend: 'database', status: 'OK' }));
  api.get('/config/client', (_req, res) =>
    sendJson(res, 200, {
      BuildNumber: SERVER_VERSION,
      EnableCommands: 'true',
      EnableBotAccountCreation: 'true',
      EnableUserAccessTokens: 'true',
      SiteName: 'Fake Mattermost',
      SiteURL: siteUrl(),
      Version: SERVER_VERSION,
    }),
  );
  api.use(requireSession(store));
  api.use(peopleRoutes(app));
  api.use(channelRoutes(app));
  api.use(postRoutes(app));
  api.use(commandRoutes(slash));
  api.use((_req, _res, next) => next(errors.notFound404()));
  web.use('/api/v4', api);
  web.use((_req, _res, next) => next(errors.notFound404()));

  web.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) {
      res.end();
      return;
    }
    if (!res.getHeader('X-Version-ID')) res.setHeader('X-Version-ID', VERSION_ID);
    sendError(res, toAppError(err));
  });

  const server: Server = createServer(web);
  // Long keep-alive so pooled client connections are not closed under them on a loaded machine (ECONNRESET).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const ws = new FakeWebSocketServer(app, faults, { authTimeoutMs: options.authTimeoutMs ?? 5000 });
  ws.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  url = `http://${options.host ?? '127.0.0.1'}:${port}`;

  let stopped: Promise<void> | undefined;
  return {
    url,
    get state() {
      return seeder.state();
    },
    user: (ref) => {
      const u = seeder.resolveUser(ref);
      return { id: u.id, username: u.username, token: seeder.tokenFor(u.id), roles: u.roles, is_bot: u.is_bot };
    },
    channel: (ref) => {
      const c = seeder.resolveChannel(ref);
      return { id: c.id, name: c.name, display_name: c.display_name, team_id: c.team_id, type: c.type };
    },
    token: (ref) => seeder.tokenFor(seeder.resolveUser(ref).id),
    seed: (input) => seeder.apply(input),
    post: (input) => {
      const user = seeder.resolveUser(input.user);
      const channel = seeder.resolveChannel(input.channel);
      const post = app.createPost(user.id, { ...input, channel_id: channel.id, root_id: input.root_id ?? '' });
      return postWire(post, store);
    },
    publishEvent: (input) =>
      app.publish({ event: input.event, data: input.data ?? {}, broadcast: broadcast(input.broadcast ?? {}) }),
    dropWebSockets: () => hub.dropAll(),
    reapInactive: () => hub.reapInactive(true),
    setFaults: (input) => faults.apply(input),
    invokeCommand: (input) => {
      const user = seeder.resolveUser(input.user);
      const channel = seeder.resolveChannel(input.channel);
      const text = input.text ? ` ${input.text}` : '';
      return slash.execute(user.id, {
        command: `/${input.command.replace(/^\//, '')}${text}`,
        channel_id: channel.id,
        root_id: input.root_id,
      });
    },
    snapshot: () => snapshot(deps),
    app,
    store,
    hub,
    faults,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        hub.close();
        ws.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.too.large') {
    return new AppError('api.context.request_body_too_large.app_error', 'The request body is too large.', 413);
  }
  if (e?.status === 400 && /decode param/i.test(e.message ?? '')) return errors.invalidUrlParam('url');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new AppError(
      'api.context.invalid_body_param.app_error',
      'Invalid or missing body in request body.',
      e.status,
    );
  }
  return errors.internal(e?.message ?? 'Internal error.');
}
