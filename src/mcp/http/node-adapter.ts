/**
 * Node (express) ⇄ Web standard Request/Response for the SDK's
 * WebStandardStreamableHTTPServerTransport. Written here rather than taken
 * from the SDK's Node wrapper because the bridge needs to see the socket:
 * the body is pumped with backpressure, so a client that stops reading makes
 * `res.writableNeedDrain` true (the outbox stops sending and, if it lasts,
 * closes the session) instead of buffering without bound.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export function toWebRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  const host = req.headers.host ?? 'localhost';
  // The body was already parsed by express.json() and is handed to the transport as parsedBody.
  return new Request(`http://${host}${req.url ?? '/'}`, { method: req.method, headers, signal });
}

export type PumpOptions = {
  /** Written before the body (e.g. a priming SSE event). */
  prefix?: string;
};

/** Writes a web Response to a Node response, honouring backpressure; resolves when done. */
export async function sendWebResponse(res: ServerResponse, response: Response, opts: PumpOptions = {}): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  res.writeHead(response.status, headers);
  if (opts.prefix) res.write(opts.prefix);
  if (!response.body) {
    res.end();
    return;
  }
  res.flushHeaders();
  const reader = response.body.getReader();
  let closed = false;
  const onClose = () => {
    closed = true;
    reader.cancel().catch(() => undefined);
  };
  res.once('close', onClose);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done || closed) break;
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          const settle = () => {
            res.off('drain', settle);
            res.off('close', settle);
            resolve();
          };
          res.once('drain', settle);
          res.once('close', settle);
        });
      }
    }
  } catch {
    // the stream was cancelled or errored: nothing more to send
  } finally {
    res.off('close', onClose);
    if (!res.writableEnded) res.end();
  }
}
