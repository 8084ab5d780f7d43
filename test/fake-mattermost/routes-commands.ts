/** REST: slash commands and the `/hooks/commands/{id}` response URLs. */
import { Router } from 'express';
import { errors } from './app-error';
import { jsonObject, me, pathId, queryString, sendError, sendJson, sendOk } from './http';
import { isValidId } from './ids';
import type { SlashCommands } from './slash';
import { commandWire } from './wire';

export function commandRoutes(slash: SlashCommands): Router {
  const r = Router();

  r.post('/commands', (req, res) => {
    const body = jsonObject(req, 'command');
    sendJson(res, 201, commandWire(slash.create(me(req).id, body)));
  });

  r.get('/commands', (req, res) => {
    const teamId = queryString(req, 'team_id');
    if (!isValidId(teamId)) throw errors.invalidUrlParam('team_id');
    sendJson(res, 200, slash.list(me(req).id, teamId, queryString(req, 'custom_only') === 'true'));
  });

  r.post('/commands/execute', async (req, res) => {
    const body = jsonObject(req, 'command_args');
    const { response } = await slash.execute(me(req).id, body);
    sendJson(res, 200, response);
  });

  r.get('/commands/:command_id', (req, res) => {
    sendJson(res, 200, commandWire(slash.get(me(req).id, pathId(req, 'command_id'))));
  });

  r.put('/commands/:command_id', (req, res) => {
    const id = pathId(req, 'command_id');
    const body = jsonObject(req, 'command');
    sendJson(res, 200, commandWire(slash.edit(me(req).id, id, body)));
  });

  r.delete('/commands/:command_id', (req, res) => {
    slash.remove(me(req).id, pathId(req, 'command_id'));
    sendOk(res);
  });

  r.put('/commands/:command_id/regen_token', (req, res) => {
    sendJson(res, 200, { token: slash.regenToken(me(req).id, pathId(req, 'command_id')) });
  });

  return r;
}

/** `POST /hooks/commands/{id}`: no auth; JSON or text; answers `ok` as text/plain. */
export function commandHookRoutes(slash: SlashCommands): Router {
  const r = Router();
  r.post('/hooks/commands/:id', (req, res) => {
    const id = String(req.params.id);
    if (!isValidId(id)) {
      sendError(res, errors.invalidUrlParam('id'));
      return;
    }
    const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    slash.useWebhook(id, String(req.headers['content-type'] ?? ''), body);
    res.status(200);
    res.setHeader('Content-Type', 'text/plain');
    res.end('ok');
  });
  return r;
}
