/**
 * Request logging for the HTTP app: one line per request with a request id
 * (the caller's `X-Request-ID` when it is sane, else a new UUID), echoed back
 * in the response so a client's report can be matched to our logs.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pinoHttp from 'pino-http';
import type { Logger } from './logger';

const SANE_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function httpLogger(log: Logger) {
  return pinoHttp({
    logger: log,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && SANE_ID.test(given) ? given : randomUUID();
      res.setHeader('X-Request-ID', id);
      return id;
    },
    // health probes every few seconds would drown everything else
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    customLogLevel: (_req, res, err) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
  });
}
