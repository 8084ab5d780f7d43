/** REST: users, statuses, access tokens, bots and teams. */
import { Router, type Request } from 'express';
import type { FakeApp } from './app';
import { AppError, errors } from './app-error';
import { jsonArray, jsonObject, me, page, paging, pathId, queryString, sendJson, sendOk } from './http';
import { isValidId, nowMs } from './ids';
import type { Bot, Status, User } from './store';
import { botWire, statusWire } from './wire';

const STATUSES = new Set(['online', 'away', 'offline', 'dnd']);

export function peopleRoutes(app: FakeApp): Router {
  const r = Router();
  const store = app.store;
  const wire = (u: User, viewer: string) => app.userWire(u, viewer);

  // --- users ---------------------------------------------------------------

  r.get('/users', (req, res) => {
    const viewer = me(req).id;
    const inTeam = queryString(req, 'in_team');
    const inChannel = queryString(req, 'in_channel');
    const notInChannel = queryString(req, 'not_in_channel');
    let users = [...store.users.values()].filter((u) => u.delete_at === 0);
    if (inTeam) users = users.filter((u) => store.isTeamMember(inTeam, u.id));
    if (inChannel) {
      app.readableChannel(viewer, inChannel);
      users = users.filter((u) => store.isChannelMember(inChannel, u.id));
    }
    if (notInChannel) users = users.filter((u) => !store.isChannelMember(notInChannel, u.id));
    users.sort((a, b) => a.username.localeCompare(b.username));
    sendJson(
      res,
      200,
      page(users, paging(req)).map((u) => wire(u, viewer)),
    );
  });

  /** Creating a user (admins only here: open sign-up is off by default) broadcasts `new_user`. */
  r.post('/users', (req, res) => {
    const body = jsonObject(req, 'user');
    if (!app.isAdmin(me(req).id)) throw errors.permissions();
    if (typeof body.password !== 'string' || body.password.length < 8) {
      throw new AppError(
        'model.user.is_valid.pwd_length.app_error',
        'Your password must contain at least 8 characters.',
        400,
      );
    }
    const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
    const { user } = app.createUser({
      username: str('username') ?? '',
      email: str('email'),
      first_name: str('first_name'),
      last_name: str('last_name'),
      nickname: str('nickname'),
    });
    sendJson(res, 201, wire(user, me(req).id));
  });

  r.post('/users/ids', (req, res) => {
    const ids = jsonArray(req, 'user_ids');
    if (ids.length === 0 || !ids.every(isValidId)) throw errors.invalidBodyParam('user_ids');
    const viewer = me(req).id;
    const users = (ids as string[]).map((id) => store.users.get(id)).filter((u): u is User => !!u);
    sendJson(
      res,
      200,
      users.map((u) => wire(u, viewer)),
    );
  });

  r.post('/users/usernames', (req, res) => {
    const names = jsonArray(req, 'usernames');
    if (names.length === 0 || !names.every((n) => typeof n === 'string')) throw errors.invalidBodyParam('usernames');
    const viewer = me(req).id;
    const users = (names as string[]).map((n) => store.userByUsername(n)).filter((u): u is User => !!u);
    sendJson(
      res,
      200,
      users.map((u) => wire(u, viewer)),
    );
  });

  r.post('/users/search', (req, res) => {
    const body = jsonObject(req, 'search');
    const term = typeof body.term === 'string' ? body.term.trim().toLowerCase().replace(/^@/, '') : '';
    if (term === '' && !body.team_id && !body.in_channel_id) throw errors.invalidBodyParam('term');
    const limit = typeof body.limit === 'number' && body.limit > 0 ? Math.min(body.limit, 1000) : 100;
    const viewer = me(req).id;
    const users = [...store.users.values()].filter((u) => {
      if (u.delete_at !== 0 && !body.allow_inactive) return false;
      if (typeof body.team_id === 'string' && body.team_id && !store.isTeamMember(body.team_id, u.id)) return false;
      if (
        typeof body.in_channel_id === 'string' &&
        body.in_channel_id &&
        !store.isChannelMember(body.in_channel_id, u.id)
      )
        return false;
      if (
        typeof body.not_in_channel_id === 'string' &&
        body.not_in_channel_id &&
        store.isChannelMember(body.not_in_channel_id, u.id)
      ) {
        return false;
      }
      if (term === '') return true;
      const fields = [u.username, u.first_name, u.last_name, u.nickname, `${u.first_name} ${u.last_name}`];
      return fields.some((f) => f.toLowerCase().startsWith(term));
    });
    users.sort((a, b) => a.username.localeCompare(b.username));
    sendJson(
      res,
      200,
      users.slice(0, limit).map((u) => wire(u, viewer)),
    );
  });

  r.get('/users/username/:username', (req, res) => {
    const username = String(req.params.username);
    if (!/^[a-z0-9.\-_]{1,64}$/i.test(username)) throw errors.invalidUrlParam('username');
    const user = store.userByUsername(username);
    if (!user) throw errors.userNotFound();
    sendJson(res, 200, wire(user, me(req).id));
  });

  r.post('/users/status/ids', (req, res) => {
    const ids = jsonArray(req, 'user_ids');
    if (ids.length === 0 || !ids.every(isValidId)) throw errors.invalidBodyParam('user_ids');
    const out = (ids as string[]).map(
      (id) =>
        store.statuses.get(id) ?? {
          user_id: id,
          status: 'offline',
          manual: false,
          last_activity_at: 0,
          dnd_end_time: 0,
        },
    );
    sendJson(
      res,
      200,
      out.map((s) => statusWire(s as Status)),
    );
  });

  r.get('/users/:user_id', (req, res) => {
    const id = pathId(req, 'user_id', true);
    sendJson(res, 200, wire(app.user(id), me(req).id));
  });

  r.get('/users/:user_id/status', (req, res) => {
    const id = pathId(req, 'user_id', true);
    app.user(id);
    sendJson(res, 200, statusWire(store.statuses.get(id)!));
  });

  r.put('/users/:user_id/status', (req, res) => {
    const id = pathId(req, 'user_id', true);
    const body = jsonObject(req, 'status');
    if (body.user_id !== id) throw errors.invalidBodyParam('user_id');
    if (typeof body.status !== 'string' || !STATUSES.has(body.status)) throw errors.invalidBodyParam('status');
    const actor = me(req).id;
    if (actor !== id && !app.isAdmin(actor)) throw errors.permissions();
    app.user(id);
    const dndEnd = typeof body.dnd_end_time === 'number' ? body.dnd_end_time : 0;
    const status = app.setStatus(id, body.status as Status['status'], true, dndEnd);
    sendJson(res, 200, statusWire(status));
  });

  r.post('/users/:user_id/tokens', (req, res) => {
    const id = pathId(req, 'user_id', true);
    const body = jsonObject(req, 'user_access_token');
    if (typeof body.description !== 'string' || body.description === '') throw errors.invalidBodyParam('description');
    const actor = me(req).id;
    if (!app.isAdmin(actor)) throw errors.permissions();
    app.user(id);
    const token = store.addToken(id, body.description);
    sendJson(res, 201, { id: token.id, token: token.token, user_id: id, description: token.description });
  });

  r.get('/users/:user_id/tokens', (req, res) => {
    const id = pathId(req, 'user_id', true);
    const actor = me(req).id;
    if (actor !== id && !app.isAdmin(actor)) throw errors.permissions();
    const tokens = [...store.tokens.values()].filter(
      (t) => t.user_id === id && t.description !== 'fake-mattermost session',
    );
    sendJson(
      res,
      200,
      page(tokens, paging(req)).map((t) => ({
        id: t.id,
        user_id: t.user_id,
        description: t.description,
        is_active: t.is_active,
      })),
    );
  });

  r.get('/users/:user_id/teams', (req, res) => {
    const id = pathId(req, 'user_id', true);
    const actor = me(req).id;
    if (actor !== id && !app.isAdmin(actor)) throw errors.permissions();
    sendJson(res, 200, store.teamsOf(id));
  });

  r.get('/users/:user_id/teams/members', (req, res) => {
    const id = pathId(req, 'user_id', true);
    const actor = me(req).id;
    if (actor !== id && !app.isAdmin(actor)) throw errors.permissions();
    sendJson(
      res,
      200,
      store.teamsOf(id).map((t) => store.teamMembers.get(t.id)!.get(id)),
    );
  });

  /** Channels of a user in a team, DMs and group messages included (GetChannelsForTeamForUser). */
  r.get('/users/:user_id/teams/:team_id/channels', (req, res) => {
    const id = pathId(req, 'user_id', true);
    const teamId = pathId(req, 'team_id');
    const actor = me(req).id;
    if (actor !== id && !app.isAdmin(actor)) throw errors.permissions();
    if (!store.isTeamMember(teamId, id) && !app.isAdmin(actor)) throw errors.permissions();
    const includeDeleted = queryString(req, 'include_deleted') === 'true';
    const channels = store
      .channelsOf(id)
      .filter((c) => (c.team_id === teamId || c.team_id === '') && (includeDeleted || c.delete_at === 0));
    sendJson(res, 200, channels);
  });

  r.get('/users/:user_id/teams/:team_id/channels/members', (req, res) => {
    const id = pathId(req, 'user_id', true);
    const teamId = pathId(req, 'team_id');
    const actor = me(req).id;
    if (actor !== id && !app.isAdmin(actor)) throw errors.permissions();
    const members = store
      .channelsOf(id)
      .filter((c) => c.team_id === teamId || c.team_id === '')
      .map((c) => store.channelMembers.get(c.id)!.get(id));
    sendJson(res, 200, members);
  });

  r.delete('/users/:user_id/posts/:post_id/reactions/:emoji_name', (req, res) => {
    const userId = pathId(req, 'user_id', true);
    const postId = pathId(req, 'post_id');
    const emoji = String(req.params.emoji_name);
    if (emoji === '' || emoji.length > 64) throw errors.invalidUrlParam('emoji_name');
    app.removeReaction(me(req).id, userId, postId, emoji);
    sendOk(res);
  });

  // --- bots ----------------------------------------------------------------

  r.post('/bots', (req, res) => {
    const body = jsonObject(req, 'bot');
    const actor = me(req).id;
    if (!app.isAdmin(actor)) throw errors.permissions();
    if (typeof body.username !== 'string') throw errors.invalidBodyParam('bot');
    const bot = app.createBot(actor, {
      username: body.username,
      display_name: typeof body.display_name === 'string' ? body.display_name : '',
      description: typeof body.description === 'string' ? body.description : '',
    });
    sendJson(res, 201, botWire(bot));
  });

  r.get('/bots', (req, res) => {
    const actor = me(req).id;
    const includeDeleted = queryString(req, 'include_deleted') === 'true';
    const bots = [...store.bots.values()].filter(
      (b) => (app.isAdmin(actor) || b.owner_id === actor) && (includeDeleted || b.delete_at === 0),
    );
    sendJson(res, 200, page(bots, paging(req)).map(botWire));
  });

  const manageableBot = (req: Request, includeDeleted: boolean): Bot => {
    const id = pathId(req, 'bot_user_id');
    const bot = store.bots.get(id);
    const actor = me(req).id;
    if (!bot || (bot.delete_at !== 0 && !includeDeleted)) throw errors.botNotFound();
    if (!app.isAdmin(actor) && bot.owner_id !== actor) throw errors.permissions();
    return bot;
  };

  r.get('/bots/:bot_user_id', (req, res) => {
    const id = pathId(req, 'bot_user_id');
    const bot = store.bots.get(id);
    if (!bot || (bot.delete_at !== 0 && queryString(req, 'include_deleted') !== 'true')) throw errors.botNotFound();
    sendJson(res, 200, botWire(bot));
  });

  r.put('/bots/:bot_user_id', (req, res) => {
    const bot = manageableBot(req, false);
    const body = jsonObject(req, 'bot');
    for (const key of ['display_name', 'description'] as const) {
      if (body[key] === undefined) continue;
      if (typeof body[key] !== 'string') throw errors.invalidBodyParam(key);
      bot[key] = body[key] as string;
    }
    const user = app.user(bot.user_id);
    if (body.username !== undefined) {
      if (typeof body.username !== 'string' || !/^[a-z][a-z0-9.\-_]{2,21}$/.test(body.username))
        throw errors.invalidBodyParam('username');
      const taken = store.userByUsername(body.username);
      if (taken && taken.id !== user.id) throw errors.invalidBodyParam('username');
      bot.username = body.username;
      user.username = body.username;
    }
    user.first_name = bot.display_name;
    user.bot_description = bot.description;
    bot.update_at = user.update_at = nowMs();
    sendJson(res, 200, botWire(bot));
  });

  /** Disabling a bot deactivates its user: its tokens stop working until it is enabled again. */
  const setBotActive = (bot: Bot, active: boolean) => {
    const user = app.user(bot.user_id);
    const t = nowMs();
    bot.delete_at = active ? 0 : t;
    user.delete_at = active ? 0 : t;
    bot.update_at = user.update_at = t;
  };

  r.post('/bots/:bot_user_id/disable', (req, res) => {
    const bot = manageableBot(req, true);
    setBotActive(bot, false);
    sendJson(res, 200, botWire(bot));
  });

  r.post('/bots/:bot_user_id/enable', (req, res) => {
    const bot = manageableBot(req, true);
    setBotActive(bot, true);
    sendJson(res, 200, botWire(bot));
  });

  r.post('/bots/:bot_user_id/icon', (req, res) => {
    manageableBot(req, false);
    const type = String(req.headers['content-type'] ?? '');
    if (!type.startsWith('multipart/form-data') || !Buffer.isBuffer(req.body) || !req.body.includes('name="image"')) {
      throw errors.invalidBodyParam('image');
    }
    sendOk(res);
  });

  r.post('/users/tokens/revoke', (req, res) => {
    const body = jsonObject(req, 'token_id');
    if (!isValidId(body.token_id)) throw errors.invalidBodyParam('token_id');
    const token = [...store.tokens.values()].find((t) => t.id === body.token_id);
    if (!token)
      throw new AppError('app.user_access_token.get_by_user.app_error', 'Unable to get user access tokens.', 404);
    const actor = me(req).id;
    if (actor !== token.user_id && !app.isAdmin(actor)) throw errors.permissions();
    store.tokens.delete(token.token);
    sendOk(res);
  });

  // --- teams ---------------------------------------------------------------

  r.get('/teams', (req, res) => {
    const actor = me(req).id;
    const teams = [...store.teams.values()].filter(
      (t) => t.delete_at === 0 && (app.isAdmin(actor) || t.allow_open_invite || store.isTeamMember(t.id, actor)),
    );
    sendJson(res, 200, page(teams, paging(req)));
  });

  r.get('/teams/name/:team_name', (req, res) => {
    const team = store.teamByName(String(req.params.team_name));
    if (!team) throw errors.teamNotFound();
    const actor = me(req).id;
    if (!store.isTeamMember(team.id, actor) && !app.isAdmin(actor) && !team.allow_open_invite)
      throw errors.permissions();
    sendJson(res, 200, team);
  });

  r.get('/teams/:team_id', (req, res) => {
    const id = pathId(req, 'team_id');
    const team = store.teams.get(id);
    if (!team) throw errors.teamNotFound();
    const actor = me(req).id;
    if (!store.isTeamMember(id, actor) && !app.isAdmin(actor) && !team.allow_open_invite) throw errors.permissions();
    sendJson(res, 200, team);
  });

  r.get('/teams/:team_id/members', (req, res) => {
    const id = pathId(req, 'team_id');
    const actor = me(req).id;
    if (!store.teams.has(id)) throw errors.teamNotFound();
    if (!store.isTeamMember(id, actor) && !app.isAdmin(actor)) throw errors.permissions();
    const members = [...store.teamMembers.get(id)!.values()].filter((m) => m.delete_at === 0);
    sendJson(res, 200, page(members, paging(req)));
  });

  r.get('/teams/:team_id/members/:user_id', (req, res) => {
    const id = pathId(req, 'team_id');
    const userId = pathId(req, 'user_id', true);
    const actor = me(req).id;
    if (!store.isTeamMember(id, actor) && !app.isAdmin(actor)) throw errors.permissions();
    const member = store.teamMembers.get(id)?.get(userId);
    if (!member || member.delete_at !== 0) {
      throw new AppError(
        'app.team.get_member.missing.app_error',
        'No team member found for that user ID and team ID.',
        404,
      );
    }
    sendJson(res, 200, member);
  });

  r.post('/teams/:team_id/members', (req, res) => {
    const id = pathId(req, 'team_id');
    const body = jsonObject(req, 'team_member');
    if (body.team_id !== id) throw errors.invalidBodyParam('team_id');
    if (!isValidId(body.user_id)) throw errors.invalidBodyParam('user_id');
    const member = app.addTeamMember(me(req).id, id, body.user_id);
    sendJson(res, 201, member);
  });

  return r;
}
