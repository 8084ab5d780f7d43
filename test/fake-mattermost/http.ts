/**
 * HTTP conventions of the real server (web/handlers.go, web/params.go):
 * `Content-Type: application/json` exactly, X-Request-ID / X-Version-ID,
 * AppError bodies, id and paging parameters.
 */
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { AppError, errors } from './app-error';
import { SERVER_VERSION } from './hub';
import { isValidId, newId } from './ids';
import type { Store, User } from './store';
import { goJson } from './wire-json';

export const VERSION_ID = `${SERVER_VERSION}.${SERVER_VERSION}.fakeconfighash.false`;

export function sendJson(res: Response, status: number, body: unknown): void {
  res.status(status);
  res.setHeader('Content-Type', 'application/json');
  res.end(goJson(body));
}

export function sendOk(res: Response): void {
  sendJson(res, 200, { status: 'OK' });
}

export function sendError(res: Response, err: AppError): void {
  const requestId = String(res.getHeader('X-Request-ID') ?? '');
  sendJson(res, err.statusCode, err.toJSON(requestId));
}

/** Headers every API response carries. */
export function apiHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('X-Request-ID', newId());
  res.setHeader('X-Version-ID', VERSION_ID);
  res.setHeader('Cache-Control', 'no-cache, max-age=31556926, public');
  next();
}

/** ParseAuthTokenFromRequest: cookie, then `Authorization: Bearer|Token` (any case), then `?access_token=`. */
export function tokenFromRequest(
  req: IncomingMessage,
): { token: string; where: 'cookie' | 'header' | 'query' } | undefined {
  const cookie = req.headers.cookie;
  if (cookie) {
    for (const part of cookie.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === 'MMAUTHTOKEN' && v.join('=')) return { token: v.join('='), where: 'cookie' };
    }
  }
  const auth = req.headers.authorization;
  if (auth) {
    const lower = auth.toLowerCase();
    if (lower.startsWith('bearer ') && auth.length > 7) return { token: auth.slice(7).trim(), where: 'header' };
    if (lower.startsWith('token ') && auth.length > 6) return { token: auth.slice(6).trim(), where: 'header' };
  }
  const url = new URL(req.url ?? '/', 'http://x');
  const q = url.searchParams.get('access_token');
  if (q) return { token: q, where: 'query' };
  return undefined;
}

export interface AuthedRequest extends Request {
  user: User;
}

export function requireSession(store: Store) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const found = tokenFromRequest(req);
    if (!found) throw errors.sessionExpired();
    if (found.where === 'query') throw errors.tokenProvided();
    const user = store.userForToken(found.token);
    if (!user) throw errors.sessionExpired();
    (req as AuthedRequest).user = user;
    next();
  };
}

export function me(req: Request): User {
  return (req as AuthedRequest).user;
}

/**
 * A path id: non-alphanumerics never match the real router (404); a wrong length is
 * `invalid_url_param` (400). `me` stands for the session user where the server allows it.
 */
export function pathId(req: Request, name: string, allowMe = false): string {
  const raw = String((req.params as Record<string, string>)[name] ?? '');
  if (allowMe && raw === 'me') return me(req).id;
  if (!/^[A-Za-z0-9]+$/.test(raw)) throw errors.notFound404();
  if (!isValidId(raw)) throw errors.invalidUrlParam(name);
  return raw;
}

/** page defaults to 0; per_page defaults to 60, above 200 is clamped to 200, garbage becomes 60. */
export function paging(req: Request): { page: number; perPage: number } {
  const q = req.query as Record<string, unknown>;
  const page = parseIntParam(q.page);
  const perPage = parseIntParam(q.per_page);
  return {
    page: page === undefined || page < 0 ? 0 : page,
    perPage: perPage === undefined || perPage < 0 ? 60 : Math.min(perPage, 200),
  };
}

function parseIntParam(v: unknown): number | undefined {
  if (typeof v !== 'string' || !/^-?\d+$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function queryString(req: Request, name: string): string {
  const v = (req.query as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : '';
}

export function queryBool(req: Request, name: string): boolean {
  return queryString(req, name) === 'true';
}

/** Parses the raw body as JSON; anything unparseable is `invalid_body_param` with the server's name for it. */
export function jsonBody(req: Request, name: string): unknown {
  const raw = req.body;
  if (!Buffer.isBuffer(raw) || raw.length === 0) throw errors.invalidBodyParam(name);
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw errors.invalidBodyParam(name);
  }
}

export function jsonObject(req: Request, name: string): Record<string, unknown> {
  const body = jsonBody(req, name);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw errors.invalidBodyParam(name);
  return body as Record<string, unknown>;
}

export function jsonArray(req: Request, name: string): unknown[] {
  const body = jsonBody(req, name);
  if (!Array.isArray(body)) throw errors.invalidBodyParam(name);
  return body;
}

export function page<T>(items: T[], p: { page: number; perPage: number }): T[] {
  return items.slice(p.page * p.perPage, p.page * p.perPage + p.perPage);
}
