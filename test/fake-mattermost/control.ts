/**
 * The control API of brief §4.7, under `/__fake`: seed, post as a user,
 * broadcast raw events, drop sockets, switch faults, invoke slash commands,
 * and read the whole state. No auth: it is the test's own door.
 */
import { Router } from 'express';
import type { FakeApp } from './app';
import { AppError } from './app-error';
import type { Faults, FaultsInput } from './faults';
import { jsonObject, sendJson } from './http';
import { broadcast, type Broadcast } from './hub';
import type { Seeder, SeedInput } from './seed';
import type { SlashCommands } from './slash';
import { commandWire, fileInfoWire, postWire, reactionWire, statusWire } from './wire';

export interface ControlDeps {
  app: FakeApp;
  seeder: Seeder;
  faults: Faults;
  slash: SlashCommands;
  url: () => string;
  siteUrl: () => string;
}

function bad(message: string): AppError {
  return new AppError('fake.control.invalid.app_error', message, 400);
}

function optionalBody(req: Parameters<typeof jsonObject>[0]): Record<string, unknown> {
  return Buffer.isBuffer(req.body) && req.body.length > 0 ? jsonObject(req, 'body') : {};
}

export function snapshot(d: ControlDeps): Record<string, unknown> {
  const { store, hub } = d.app;
  return {
    url: d.url(),
    siteUrl: d.siteUrl(),
    ...d.seeder.state(),
    posts: [...store.posts.values()].sort((a, b) => a.create_at - b.create_at).map((p) => postWire(p, store)),
    reactions: [...store.reactions.values()].flat().map(reactionWire),
    files: [...store.files.values()].map((f) => fileInfoWire(f.info)),
    commands: [...store.commands.values()].map(commandWire),
    statuses: [...store.statuses.values()].map(statusWire),
    connections: hub.all().map((c) => ({
      connection_id: c.connectionId,
      user_id: c.userId,
      active: c.active,
      seq: c.seq,
      pending: c.pending.length,
    })),
    faults: d.faults.state(),
  };
}

export function controlRoutes(d: ControlDeps): Router {
  const r = Router();
  const { app, seeder } = d;

  r.get('/__fake/state', (_req, res) => sendJson(res, 200, snapshot(d)));

  r.post('/__fake/seed', (req, res) => {
    const created = seeder.apply(jsonObject(req, 'seed') as SeedInput);
    sendJson(res, 200, { created, state: seeder.state() });
  });

  r.post('/__fake/posts', (req, res) => {
    const body = jsonObject(req, 'post');
    if (typeof body.user !== 'string' || typeof body.channel !== 'string') throw bad('user and channel are required');
    const user = seeder.resolveUser(body.user);
    const channel = seeder.resolveChannel(body.channel);
    const post = app.createPost(user.id, {
      channel_id: channel.id,
      message: body.message ?? '',
      root_id: body.root_id ?? '',
      props: body.props,
      file_ids: body.file_ids,
    });
    sendJson(res, 201, postWire(post, app.store));
  });

  r.post('/__fake/events', (req, res) => {
    const body = jsonObject(req, 'event');
    if (typeof body.event !== 'string' || body.event === '') throw bad('event is required');
    if (body.data !== undefined && (typeof body.data !== 'object' || body.data === null || Array.isArray(body.data))) {
      throw bad('data must be an object');
    }
    if (body.broadcast !== undefined && (typeof body.broadcast !== 'object' || body.broadcast === null)) {
      throw bad('broadcast must be an object');
    }
    app.publish({
      event: body.event,
      data: (body.data as Record<string, unknown>) ?? {},
      broadcast: broadcast((body.broadcast as Partial<Broadcast>) ?? {}),
    });
    sendJson(res, 200, { status: 'OK' });
  });

  r.post('/__fake/ws/drop', (req, res) => {
    const body = optionalBody(req);
    const dropped = app.hub.dropAll();
    const reaped = body.reap === true ? app.hub.reapInactive(true) : 0;
    sendJson(res, 200, { dropped, reaped });
  });

  r.post('/__fake/ws/reap', (_req, res) => {
    sendJson(res, 200, { reaped: app.hub.reapInactive(true) });
  });

  r.get('/__fake/faults', (_req, res) => sendJson(res, 200, d.faults.state()));

  r.post('/__fake/faults', (req, res) => {
    const body = jsonObject(req, 'faults') as FaultsInput & { dropWebSockets?: boolean };
    try {
      d.faults.apply(body);
    } catch (err) {
      throw bad((err as Error).message);
    }
    const dropped = body.dropWebSockets === true ? app.hub.dropAll() : 0;
    sendJson(res, 200, { ...d.faults.state(), dropped });
  });

  r.post('/__fake/commands/invoke', async (req, res) => {
    const body = jsonObject(req, 'invoke');
    if (typeof body.user !== 'string' || typeof body.channel !== 'string' || typeof body.command !== 'string') {
      throw bad('user, channel and command are required');
    }
    const user = seeder.resolveUser(body.user);
    const channel = seeder.resolveChannel(body.channel);
    const trigger = body.command.replace(/^\//, '');
    const text = typeof body.text === 'string' && body.text !== '' ? ` ${body.text}` : '';
    try {
      const result = await d.slash.execute(user.id, {
        command: `/${trigger}${text}`,
        channel_id: channel.id,
        team_id: typeof body.team_id === 'string' ? body.team_id : undefined,
        root_id: typeof body.root_id === 'string' ? body.root_id : undefined,
      });
      sendJson(res, 200, { status: 200, response: result.response, ...(result.exchange ?? {}) });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      const exchange = (err as AppError & { exchange?: object }).exchange ?? {};
      sendJson(res, 200, { status: err.statusCode, error: err.toJSON(), ...exchange });
    }
  });

  return r;
}
