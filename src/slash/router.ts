/**
 * POST /slash: Mattermost's slash-command callback (protocol notes §4).
 *
 *   read the body (capped) → decode the form (400) → token, constant time (401)
 *   → validate the fields (400) → command table: parse the arguments (usage)
 *   → inline commands answer now; follow-up commands go to the `slash` queue
 *     and the reply waits for them briefly, else says "working on it" and the
 *     worker answers through response_url.
 *
 * Whatever happens, Mattermost gets an answer within 3 s (a deadline timer
 * sends one if a stage hangs, e.g. Redis down), as JSON with `Content-Type`
 * exactly `application/json`. Mount it before any body parser:
 * `app.use('/slash', createSlashRouter(services, deps))`.
 */
import { randomBytes } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { Counter } from 'prom-client';
import type { BridgeServices } from '../app/services';
import type { EventLogWriter } from '../eventlog/types';
import { registry } from '../metrics/registry';
import { findCommand, splitText, unknownCommand, usageOf, UsageError } from './commands';
import { slashEnv, type FollowupEnqueuer, type InvocationForm, type SlashEnv } from './context';
import { decodeSlashForm, MAX_FORM_BYTES, validateSlashForm } from './form';
import { awaitReply } from './reply';
import { ephemeral, JSON_CONTENT_TYPE, type CommandResponse } from './response';
import { registerResponseUrl } from './response-url';
import { presentedToken, RedisSlashTokens, tokenMatches, type SlashTokenSource } from './tokens';

const slashCounter = new Counter({
  name: 'mmb_slash_requests_total',
  help: 'Slash-command requests by command and outcome',
  labelNames: ['command', 'outcome'] as const,
  registers: [registry],
});

export interface SlashRouterDeps {
  /** Where `command.invoked` updates go; default: services.eventLog. */
  eventLog?: EventLogWriter;
  /** The `slash` queue (SlashFollowups); the worker may run in another process. */
  followups: FollowupEnqueuer;
  /** Accepted tokens; default: those `install` saved in Redis plus BRIDGE_SLASH_TOKENS. */
  tokens?: SlashTokenSource;
  /** How long the reply waits for a follow-up's answer before saying "working on it". Default 2000 ms. */
  inlineWaitMs?: number;
  /** The latest moment an answer leaves, whatever is still running. Default 2800 ms (Mattermost advises 3 s). */
  deadlineMs?: number;
}

/** Bodies above this are not even read to the end: the connection is closed after the 400. */
const HARD_BODY_LIMIT = 8 * 1024 * 1024;

type BodyRead = { bytes: Buffer; size: number };

function readBody(req: Request): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      resolve({ bytes: Buffer.concat(chunks), size });
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Keep only what could be a valid form; count (and drain) the rest so the client can read our 400.
      if (size <= MAX_FORM_BYTES) chunks.push(chunk);
      if (size > HARD_BODY_LIMIT) {
        req.pause();
        finish();
      }
    });
    req.on('end', finish);
    req.on('error', (err) => {
      if (!done) reject(err);
    });
  });
}

function sendJson(res: Response, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  // writeHead, not res.json/res.send: those would add "; charset=utf-8", which Mattermost does not parse as JSON.
  res.writeHead(status, {
    'Content-Type': JSON_CONTENT_TYPE,
    'Content-Length': String(payload.length),
    ...extraHeaders,
  });
  res.end(payload);
}

export function createSlashRouter(services: BridgeServices, deps: SlashRouterDeps): Router {
  const { config, redis, keys } = services;
  const log = services.log.child({ component: 'slash' });
  const tokens = deps.tokens ?? new RedisSlashTokens(redis, keys.slashTokens, config.BRIDGE_SLASH_TOKENS);
  const env = slashEnv(services, deps.followups, deps.eventLog);
  const inlineWaitMs = deps.inlineWaitMs ?? 2000;
  const deadlineMs = deps.deadlineMs ?? 2800;

  const router = express.Router();

  router.post('/', async (req, res) => {
    let stage: 'auth' | 'run' = 'auth';
    let command = 'unknown';
    const count = (outcome: string) => slashCounter.inc({ command, outcome });
    const deadline = setTimeout(() => {
      if (res.headersSent) return;
      if (stage === 'auth') {
        count('timeout');
        sendJson(res, 503, { error: 'the bridge could not check the token in time (is Redis up?); try again' });
      } else {
        count('slow');
        sendJson(res, 200, ephemeral('The bridge is slow right now; if nothing else appears, try again in a moment.'));
      }
    }, deadlineMs);
    deadline.unref();
    try {
      const body = await readBody(req);
      if (body.size > MAX_FORM_BYTES) {
        count('bad_form');
        return sendJson(
          res,
          400,
          { error: `the form is larger than ${MAX_FORM_BYTES} bytes; Mattermost never sends that much` },
          body.size > HARD_BODY_LIMIT ? { Connection: 'close' } : {},
        );
      }
      const decoded = decodeSlashForm(body.bytes, req.headers['content-type']);
      if (!decoded.ok) {
        count('bad_form');
        return sendJson(res, 400, { error: decoded.error });
      }
      const token = presentedToken(decoded.decoded.singles.get('token'), req.headers.authorization);
      if (!token || !tokenMatches(token, await tokens.tokens())) {
        count('unauthorized');
        log.warn({ ip: req.ip }, 'slash command with a wrong or missing token');
        return sendJson(res, 401, {
          error: 'unknown slash-command token; re-run `mattermost-mcp-bridge install` or set BRIDGE_SLASH_TOKENS',
        });
      }
      const valid = validateSlashForm(decoded.decoded);
      if (!valid.ok) {
        count('bad_form');
        return sendJson(res, 400, { error: valid.error });
      }
      stage = 'run';
      const { token: _token, ...form } = valid.form;
      const response = await dispatch(form, env, { inlineWaitMs, signal: undefined });
      command = response.command;
      count(response.outcome);
      sendJson(res, 200, response.body);
    } catch (err) {
      count('error');
      log.error({ err }, 'slash command failed');
      if (stage === 'auth') sendJson(res, 503, { error: 'the bridge cannot check tokens right now; try again' });
      else
        sendJson(
          res,
          200,
          ephemeral('That failed on the bridge side; try again, and tell an admin if it keeps failing.'),
        );
    } finally {
      clearTimeout(deadline);
    }
  });

  router.all('/', (_req, res) => {
    sendJson(res, 405, { error: 'slash commands are POSTed (method P in the command settings)' }, { Allow: 'POST' });
  });

  return router;
}

type Dispatched = { command: string; outcome: string; body: CommandResponse };

/** Runs one validated invocation through the command table. */
export async function dispatch(
  form: InvocationForm,
  env: SlashEnv,
  opts: { inlineWaitMs: number; signal?: AbortSignal },
): Promise<Dispatched> {
  const { services } = env;
  const roles = services.config.BRIDGE_WATCH_ROLES;
  const trigger = form.command;
  const { name, rest } = splitText(form.text);
  const spec = findCommand(name);
  if (!spec) return { command: 'unknown', outcome: 'unknown_command', body: unknownCommand(trigger, name, roles) };
  const args = spec.parse(rest, form);
  if (args instanceof UsageError) {
    return {
      command: spec.name,
      outcome: 'usage',
      body: ephemeral(`${args.message}.\n${usageOf(trigger, spec, roles)}`),
    };
  }
  await registerResponseUrl(services.redis, services.keys, form.responseUrl);
  services.log.info({ command: spec.name, user: form.userId, channel: form.channelId }, 'slash command');
  if (spec.runs === 'inline') {
    return { command: spec.name, outcome: 'ok', body: await spec.run({ form, args, trigger }, env) };
  }
  const replyId = randomBytes(12).toString('hex');
  await env.followups.enqueue({ kind: 'command', command: spec.name, args, form, replyId }, `cmd-${replyId}`);
  const answer = await awaitReply(services.redis, services.keys, replyId, opts.inlineWaitMs, opts.signal);
  if (answer) return { command: spec.name, outcome: 'ok', body: answer };
  return {
    command: spec.name,
    outcome: 'deferred',
    body: ephemeral(`Working on \`${trigger} ${spec.name}\`… the answer follows in a moment.`),
  };
}
