/** REST: channels, channel members and the three modes of a channel's posts. */
import { Router } from 'express';
import type { FakeApp } from './app';
import { AppError, errors } from './app-error';
import { jsonArray, jsonObject, me, page, paging, pathId, queryString, sendJson, sendOk } from './http';
import { isValidId } from './ids';
import type { Channel, Post } from './store';
import { postListWire, postWire } from './wire';

const SINCE_LIMIT = 1000;

export function channelRoutes(app: FakeApp): Router {
  const r = Router();
  const store = app.store;

  const byCreateDesc = (a: Post, b: Post) => b.create_at - a.create_at;
  const visible = (channelId: string) =>
    store
      .postsInChannel(channelId)
      .filter((p) => p.delete_at === 0)
      .sort(byCreateDesc);

  /** GetPostIdAfterTime / GetPostIdBeforeTime, the cursors of a page. */
  const nextAfter = (channelId: string, time: number): string => {
    const later = visible(channelId).filter((p) => p.create_at > time);
    return later.length > 0 ? later[later.length - 1].id : '';
  };
  const prevBefore = (channelId: string, time: number): string =>
    visible(channelId).find((p) => p.create_at < time)?.id ?? '';

  /** skipFetchThreads=false: the roots of replies on the page go into `posts` (not into `order`). */
  const withThreads = (list: Record<string, unknown>, posts: Post[], skip: boolean): Record<string, unknown> => {
    if (skip) return list;
    const map = list.posts as Record<string, unknown>;
    for (const p of posts) {
      const root = p.root_id ? store.posts.get(p.root_id) : undefined;
      if (root && !map[root.id]) map[root.id] = postWire(root, store);
    }
    return list;
  };

  r.post('/channels', (req, res) => {
    const body = jsonObject(req, 'channel');
    sendJson(res, 201, app.createChannel(me(req).id, body));
  });

  r.post('/channels/direct', (req, res) => {
    const ids = jsonArray(req, 'user_ids');
    sendJson(res, 201, app.createDirect(me(req).id, ids));
  });

  r.post('/channels/group', (req, res) => {
    const ids = jsonArray(req, 'user_ids');
    sendJson(res, 201, app.createGroup(me(req).id, ids));
  });

  r.get('/channels/:channel_id', (req, res) => {
    const id = pathId(req, 'channel_id');
    sendJson(res, 200, app.readableChannel(me(req).id, id));
  });

  r.put('/channels/:channel_id/patch', (req, res) => {
    const id = pathId(req, 'channel_id');
    const body = jsonObject(req, 'channel');
    sendJson(res, 200, app.patchChannel(me(req).id, id, body));
  });

  r.delete('/channels/:channel_id', (req, res) => {
    const id = pathId(req, 'channel_id');
    app.deleteChannel(me(req).id, id);
    sendOk(res);
  });

  r.get('/channels/:channel_id/stats', (req, res) => {
    const id = pathId(req, 'channel_id');
    app.readableChannel(me(req).id, id);
    const posts = visible(id);
    sendJson(res, 200, {
      channel_id: id,
      member_count: store.channelMemberIds(id).length,
      guest_count: 0,
      pinnedpost_count: posts.filter((p) => p.is_pinned).length,
      files_count: posts.reduce((n, p) => n + p.file_ids.length, 0),
    });
  });

  r.get('/channels/:channel_id/members', (req, res) => {
    const id = pathId(req, 'channel_id');
    app.readableChannel(me(req).id, id);
    const members = [...store.channelMembers.get(id)!.values()];
    sendJson(res, 200, page(members, paging(req)));
  });

  r.post('/channels/:channel_id/members', (req, res) => {
    const id = pathId(req, 'channel_id');
    const body = jsonObject(req, 'user_id');
    const userId = body.user_id;
    if (!isValidId(userId)) throw errors.invalidBodyParam('user_id');
    const member = app.addChannelMember(me(req).id, id, userId);
    sendJson(res, 201, member);
  });

  r.get('/channels/:channel_id/members/:user_id', (req, res) => {
    const id = pathId(req, 'channel_id');
    const userId = pathId(req, 'user_id', true);
    app.readableChannel(me(req).id, id);
    const member = store.channelMembers.get(id)!.get(userId);
    if (!member) {
      throw new AppError(
        'app.channel.get_member.missing.app_error',
        'No channel member found for that user ID and channel ID.',
        404,
      );
    }
    sendJson(res, 200, member);
  });

  r.delete('/channels/:channel_id/members/:user_id', (req, res) => {
    const id = pathId(req, 'channel_id');
    const userId = pathId(req, 'user_id', true);
    app.removeChannelMember(me(req).id, id, userId);
    sendOk(res);
  });

  r.get('/channels/:channel_id/pinned', (req, res) => {
    const id = pathId(req, 'channel_id');
    app.readableChannel(me(req).id, id);
    sendJson(
      res,
      200,
      postListWire(
        visible(id).filter((p) => p.is_pinned),
        store,
      ),
    );
  });

  /** getPostsForChannel: `since`, `before`/`after` + paging, or plain paging (api4/post.go). */
  r.get('/channels/:channel_id/posts', (req, res) => {
    const id = pathId(req, 'channel_id');
    const channel: Channel = app.readableChannel(me(req).id, id);
    const { page: pageNo, perPage } = paging(req);
    const sinceRaw = queryString(req, 'since');
    const before = queryString(req, 'before');
    const after = queryString(req, 'after');
    const skipThreads = queryString(req, 'skipFetchThreads') === 'true';
    if (sinceRaw !== '' && !/^\d+$/.test(sinceRaw)) throw errors.invalidBodyParam('since');
    const since = sinceRaw === '' ? 0 : Number(sinceRaw);
    if (before && !isValidId(before)) throw errors.invalidUrlParam('before');
    if (after && !isValidId(after)) throw errors.invalidUrlParam('after');

    if (since > 0) {
      // Every post changed after `since`, deleted ones included, newest first.
      const posts = store
        .postsInChannel(channel.id)
        .filter((p) => p.update_at > since)
        .sort(byCreateDesc)
        .slice(0, SINCE_LIMIT);
      sendJson(res, 200, withThreads(postListWire(posts, store), posts, skipThreads));
      return;
    }
    let posts: Post[];
    let next = '';
    let prev = '';
    let nextSet = false;
    let prevSet = false;
    const all = visible(channel.id);
    if (after) {
      const anchor = store.posts.get(after);
      const newer = anchor ? all.filter((p) => p.create_at > anchor.create_at).reverse() : [];
      posts = newer.slice(pageNo * perPage, pageNo * perPage + perPage).reverse();
      if (pageNo === 0) {
        prev = after;
        prevSet = true;
      }
      if (posts.length < perPage) nextSet = true;
    } else if (before) {
      const anchor = store.posts.get(before);
      const older = anchor ? all.filter((p) => p.create_at < anchor.create_at) : [];
      posts = older.slice(pageNo * perPage, pageNo * perPage + perPage);
      if (pageNo === 0) {
        next = before;
        nextSet = true;
      }
      if (posts.length < perPage) prevSet = true;
    } else {
      posts = all.slice(pageNo * perPage, pageNo * perPage + perPage);
    }
    if (!nextSet && posts.length > 0) next = nextAfter(channel.id, posts[0].create_at);
    if (!prevSet && posts.length > 0) prev = prevBefore(channel.id, posts[posts.length - 1].create_at);
    sendJson(
      res,
      200,
      withThreads(postListWire(posts, store, { next_post_id: next, prev_post_id: prev }), posts, skipThreads),
    );
  });

  // --- teams' channels -----------------------------------------------------

  r.get('/teams/:team_id/channels', (req, res) => {
    const teamId = pathId(req, 'team_id');
    const actor = me(req).id;
    if (!store.teams.has(teamId)) throw errors.teamNotFound();
    if (!store.isTeamMember(teamId, actor) && !app.isAdmin(actor)) throw errors.permissions();
    const channels = [...store.channels.values()]
      .filter((c) => c.team_id === teamId && c.type === 'O' && c.delete_at === 0)
      .sort((a, b) => a.display_name.localeCompare(b.display_name));
    sendJson(res, 200, page(channels, paging(req)));
  });

  r.post('/teams/:team_id/channels/search', (req, res) => {
    const teamId = pathId(req, 'team_id');
    const body = jsonObject(req, 'channel_search');
    if (typeof body.term !== 'string') throw errors.invalidBodyParam('channel_search');
    const actor = me(req).id;
    if (!store.isTeamMember(teamId, actor) && !app.isAdmin(actor)) throw errors.permissions();
    const term = body.term.toLowerCase();
    const channels = [...store.channels.values()].filter(
      (c) =>
        c.team_id === teamId &&
        c.delete_at === 0 &&
        (c.type === 'O' || store.isChannelMember(c.id, actor)) &&
        (c.name.includes(term) || c.display_name.toLowerCase().includes(term)),
    );
    sendJson(res, 200, channels.slice(0, 50));
  });

  const byName = (teamId: string, name: string, actor: string, includeDeleted: boolean): Channel => {
    const channel = store.channelByName(teamId, name);
    // Missing and unreadable channels look the same (getChannelByName answers 404 for both).
    const missing = () => new AppError('app.channel.get_by_name.missing.app_error', 'Channel does not exist.', 404);
    if (!channel || (channel.delete_at !== 0 && !includeDeleted)) throw missing();
    if (!app.canReadChannel(actor, channel)) throw missing();
    return channel;
  };

  r.get('/teams/:team_id/channels/name/:channel_name', (req, res) => {
    const teamId = pathId(req, 'team_id');
    sendJson(
      res,
      200,
      byName(teamId, String(req.params.channel_name), me(req).id, queryString(req, 'include_deleted') === 'true'),
    );
  });

  r.get('/teams/name/:team_name/channels/name/:channel_name', (req, res) => {
    const team = store.teamByName(String(req.params.team_name));
    if (!team) throw errors.teamNotFound();
    sendJson(
      res,
      200,
      byName(team.id, String(req.params.channel_name), me(req).id, queryString(req, 'include_deleted') === 'true'),
    );
  });

  return r;
}
