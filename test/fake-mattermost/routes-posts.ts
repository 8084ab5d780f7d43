/** REST: posts, threads, pins, reactions, search and files. */
import { Router, type Request, type Response } from 'express';
import type { FakeApp } from './app';
import { AppError, errors } from './app-error';
import { jsonObject, me, pathId, queryString, sendJson, sendOk } from './http';
import { isValidId } from './ids';
import { boundaryOf, parseMultipart } from './multipart';
import { searchPosts } from './search';
import type { FileInfo } from './store';
import { fileInfoWire, postListWire, postWire, reactionWire } from './wire';

export const MAX_FILE_SIZE = 100 * 1024 * 1024;

export function postRoutes(app: FakeApp): Router {
  const r = Router();
  const store = app.store;

  r.post('/posts', (req, res) => {
    const body = jsonObject(req, 'post');
    const setOnline = queryString(req, 'set_online') !== 'false';
    const post = app.createPost(me(req).id, body, { setOnline });
    sendJson(res, 201, postWire(post, store));
  });

  r.post('/posts/ephemeral', (req, res) => {
    const body = jsonObject(req, 'ephemeral_post');
    const actor = me(req);
    if (!app.isAdmin(actor.id) && !actor.is_bot) throw errors.permissions();
    const post = body.post as Record<string, unknown> | undefined;
    if (!isValidId(body.user_id)) throw errors.invalidBodyParam('user_id');
    if (!post || typeof post !== 'object' || !isValidId(post.channel_id))
      throw errors.invalidBodyParam('post.channel_id');
    if (typeof post.message !== 'string') throw errors.invalidBodyParam('post.message');
    app.channel(post.channel_id);
    const wire = app.ephemeralPost(
      post.channel_id,
      body.user_id,
      {
        message: post.message,
        root_id: typeof post.root_id === 'string' ? post.root_id : '',
        props: typeof post.props === 'object' && post.props ? (post.props as Record<string, unknown>) : {},
      },
      actor.id,
    );
    sendJson(res, 201, wire);
  });

  const search = (teamId: string) => (req: Request, res: Response) => {
    const body = jsonObject(req, 'search');
    if (typeof body.terms !== 'string') throw errors.invalidBodyParam('terms');
    const actor = me(req).id;
    if (teamId && !store.isTeamMember(teamId, actor) && !app.isAdmin(actor)) throw errors.permissions();
    const pageNo = typeof body.page === 'number' && body.page >= 0 ? Math.floor(body.page) : 0;
    const perPageRaw = typeof body.per_page === 'number' && body.per_page > 0 ? Math.floor(body.per_page) : 60;
    const perPage = Math.min(perPageRaw, 200);
    const all = searchPosts(store, actor, teamId, body.terms, {
      isOrSearch: body.is_or_search === true,
      timeZoneOffset: typeof body.time_zone_offset === 'number' ? body.time_zone_offset : 0,
    });
    const slice = all.slice(pageNo * perPage, pageNo * perPage + perPage);
    const list = postListWire(slice, store, { has_next: all.length > (pageNo + 1) * perPage });
    sendJson(res, 200, { ...list, matches: null });
  };

  r.post('/posts/search', search(''));
  r.post('/teams/:team_id/posts/search', (req, res) => search(pathId(req, 'team_id'))(req, res));

  r.get('/posts/:post_id', (req, res) => {
    const id = pathId(req, 'post_id');
    const actor = me(req).id;
    const includeDeleted = queryString(req, 'include_deleted') === 'true' && app.isAdmin(actor);
    sendJson(res, 200, postWire(app.readablePost(actor, id, includeDeleted), store));
  });

  r.put('/posts/:post_id', (req, res) => {
    const id = pathId(req, 'post_id');
    const body = jsonObject(req, 'post');
    if (body.id !== id) throw errors.invalidBodyParam('id');
    const patch: Record<string, unknown> = { message: body.message };
    if (body.props !== undefined) patch.props = body.props;
    if (body.is_pinned !== undefined) patch.is_pinned = body.is_pinned;
    sendJson(res, 200, postWire(app.editPost(me(req).id, id, patch), store));
  });

  r.put('/posts/:post_id/patch', (req, res) => {
    const id = pathId(req, 'post_id');
    const body = jsonObject(req, 'post');
    sendJson(res, 200, postWire(app.editPost(me(req).id, id, body), store));
  });

  r.delete('/posts/:post_id', (req, res) => {
    const id = pathId(req, 'post_id');
    app.deletePost(me(req).id, id);
    sendOk(res);
  });

  /** A thread in the non-collapsed form: root and replies, newest first. */
  r.get('/posts/:post_id/thread', (req, res) => {
    const id = pathId(req, 'post_id');
    const post = app.readablePost(me(req).id, id);
    const rootId = post.root_id || post.id;
    const root = app.post(rootId);
    const replies = [...store.posts.values()].filter((p) => p.root_id === rootId && p.delete_at === 0);
    const posts = [root, ...replies].sort((a, b) => b.create_at - a.create_at);
    sendJson(res, 200, postListWire(posts, store, { has_next: false }));
  });

  r.post('/posts/:post_id/pin', (req, res) => {
    app.setPinned(me(req).id, pathId(req, 'post_id'), true);
    sendOk(res);
  });

  r.post('/posts/:post_id/unpin', (req, res) => {
    app.setPinned(me(req).id, pathId(req, 'post_id'), false);
    sendOk(res);
  });

  r.get('/posts/:post_id/reactions', (req, res) => {
    const post = app.readablePost(me(req).id, pathId(req, 'post_id'));
    sendJson(res, 200, store.reactionsFor(post.id).map(reactionWire));
  });

  r.get('/posts/:post_id/files/info', (req, res) => {
    const post = app.readablePost(me(req).id, pathId(req, 'post_id'));
    sendJson(res, 200, store.filesFor(post.id).map(fileInfoWire));
  });

  r.post('/reactions', (req, res) => {
    const body = jsonObject(req, 'reaction');
    // The real server writes 200 here although the spec says 201.
    sendJson(res, 200, reactionWire(app.addReaction(me(req).id, body)));
  });

  // --- files ---------------------------------------------------------------

  r.post('/files', (req, res) => {
    const actor = me(req).id;
    const raw = Buffer.isBuffer(req.body) ? (req.body as Buffer) : Buffer.alloc(0);
    if (raw.length > MAX_FILE_SIZE) {
      throw new AppError(
        'api.file.upload_file.too_large_detailed.app_error',
        'Unable to upload file. File is too large.',
        413,
      );
    }
    const infos: FileInfo[] = [];
    const clientIds: string[] = [];
    const boundary = boundaryOf(req.headers['content-type']);
    if (!boundary) {
      // Raw body: ?channel_id=&filename= (uploadFileSimple).
      const channelId = queryString(req, 'channel_id');
      const filename = queryString(req, 'filename');
      if (!isValidId(channelId)) throw errors.invalidUrlParam('channel_id');
      if (!filename) throw errors.invalidUrlParam('filename');
      if (raw.length === 0) throw errors.invalidBodyParam('file');
      infos.push(app.uploadFile(actor, channelId, filename, raw, req.headers['content-type']));
      sendJson(res, 201, { file_infos: infos.map(fileInfoWire), client_ids: [] });
      return;
    }
    let parts;
    try {
      parts = parseMultipart(raw, boundary);
    } catch {
      throw new AppError(
        'api.file.upload_file.read_request.app_error',
        'Unable to upload file(s). Error reading or parsing request data.',
        400,
      );
    }
    const channelParts = parts.filter((p) => p.name === 'channel_id' && p.filename === undefined);
    if (channelParts.length !== 1) throw errors.invalidBodyParam('channel_id');
    const channelId = channelParts[0].data.toString('utf8');
    if (!isValidId(channelId)) throw errors.invalidBodyParam('channel_id');
    for (const part of parts) {
      if (part.filename !== undefined) {
        if (part.name !== 'files') throw errors.invalidBodyParam(part.name || 'files');
        if (!part.filename) throw errors.invalidBodyParam('filename');
        continue;
      }
      if (part.name === 'client_ids') clientIds.push(part.data.toString('utf8'));
      else if (part.name !== 'channel_id') throw errors.invalidBodyParam(part.name || 'form field');
    }
    const files = parts.filter((p) => p.filename !== undefined);
    if (files.length === 0) throw errors.invalidBodyParam('files');
    if (clientIds.length > 0 && clientIds.length !== files.length) throw errors.invalidBodyParam('client_ids');
    for (const f of files)
      infos.push(app.uploadFile(actor, channelId, f.filename!, Buffer.from(f.data), f.contentType));
    sendJson(res, 201, { file_infos: infos.map(fileInfoWire), client_ids: clientIds });
  });

  const readableFile = (actor: string, id: string) => {
    const file = store.files.get(id);
    if (!file || file.info.delete_at !== 0) throw errors.fileNotFound();
    const { info } = file;
    if (info.user_id !== actor) {
      const post = info.post_id ? store.posts.get(info.post_id) : undefined;
      if (!post) throw errors.permissions();
      app.readableChannel(actor, post.channel_id);
    }
    return file;
  };

  r.get('/files/:file_id', (req, res) => {
    const file = readableFile(me(req).id, pathId(req, 'file_id'));
    res.status(200);
    res.setHeader('Content-Type', file.info.mime_type);
    res.setHeader('Content-Length', String(file.content.length));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader(
      'Content-Disposition',
      `attachment;filename="${file.info.name.replace(/"/g, '')}"; filename*=UTF-8''${encodeURIComponent(file.info.name)}`,
    );
    res.end(file.content);
  });

  r.get('/files/:file_id/info', (req, res) => {
    const file = readableFile(me(req).id, pathId(req, 'file_id'));
    sendJson(res, 200, fileInfoWire(file.info));
  });

  return r;
}
