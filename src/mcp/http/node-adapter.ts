/**
 * Node (express) ⇄ Web standard Request/Response for the SDK's
 * WebStandardStreamableHTTPServerTransport. Written here rather than taken
 * from the SDK's Node wrapper because the bridge needs to see the socket:
 * the body is pumped with backpressure, so a client that stops reading makes
 * `res.writableNeedDrain` true (the outbox stops sending and, if it lasts,
 * closes the session) instead of buffering without bound.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

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

/**
 * One SSE event as the SDK's transport writes it (`writeSSEEvent`, `writePrimingEvent`): a message
 * event with its id (the message as an object or as its JSON text), or without a message the priming
 * event (an id and empty data).
 */
export function sseEvent(message: JSONRPCMessage | string | undefined, eventId: string | undefined): string {
  const id = eventId ? `id: ${eventId}\n` : '';
  if (message === undefined) return `${id}data: \n\n`;
  return `event: message\n${id}data: ${typeof message === 'string' ? message : JSON.stringify(message)}\n\n`;
}

const corked = new WeakSet<ServerResponse>();

/** Holds `res`'s writes until the next tick, so what is written in this one leaves in one socket write. */
export function corkForThisTick(res: ServerResponse): void {
  if (corked.has(res)) return;
  corked.add(res);
  res.cork();
  process.nextTick(() => {
    corked.delete(res);
    res.uncork();
  });
}

export type PumpOptions = {
  /** Written before the body (e.g. a priming SSE event). */
  prefix?: string;
  /** Told right before the pump waits for the next chunk (true) and when it got one (false): DirectSse. */
  onIdle?: (idle: boolean) => void;
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
      opts.onIdle?.(true);
      const { value, done } = await reader.read();
      opts.onIdle?.(false);
      if (done || closed) break;
      // chunks read in the same tick (several notifications at once) leave in one socket write
      corkForThisTick(res);
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

/** A POST answered in full within this time goes out as one JSON body instead of an SSE stream. */
export const JSON_ANSWER_WAIT_MS = 25;

type Read = ReadableStreamReadResult<Uint8Array>;

/** The `data` of each complete SSE event in `text`, and the rest (an incomplete event). */
function sseEvents(text: string): { data: string[]; rest: string } {
  const blocks = text.split('\n\n');
  const rest = blocks.pop() ?? '';
  const data = blocks.map((b) =>
    b
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''))
      .join('\n'),
  );
  return { data, rest };
}

function isResponseJson(data: string): boolean {
  try {
    const m = JSON.parse(data) as unknown;
    return typeof m === 'object' && m !== null && ('result' in m || 'error' in m) && 'id' in m;
  } catch {
    return false;
  }
}

/**
 * Sends the SDK's SSE answer to a POST. When the stream ends within
 * `waitMs` having carried nothing but a priming event and one JSON-RPC
 * response, that response goes out as `application/json` (the spec lets the
 * server choose; every client accepts both): no SSE framing for the client to
 * parse, and nothing to resume. Anything else — a notification first, or no
 * answer yet after `waitMs` — is streamed as SSE, starting with what was read.
 */
export async function sendPostResponse(res: ServerResponse, response: Response, waitMs: number): Promise<void> {
  if (!response.body || !(response.headers.get('content-type') ?? '').includes('text/event-stream')) {
    return sendWebResponse(res, response);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const buffered: Uint8Array[] = [];
  const events: { data: string; response: boolean }[] = [];
  let text = '';
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), waitMs)));
  let pending: Promise<Read> | undefined = reader.read();
  try {
    for (;;) {
      const r = await Promise.race([pending, timeout]);
      if (r === 'timeout') break;
      if (r.done) {
        pending = undefined;
        if (events.length === 1 && events[0].response) {
          const headers: Record<string, string> = {};
          response.headers.forEach((value, name) => (headers[name] = value));
          delete headers['cache-control'];
          delete headers['x-accel-buffering'];
          delete headers['connection'];
          headers['content-type'] = 'application/json';
          headers['content-length'] = String(Buffer.byteLength(events[0].data));
          res.writeHead(response.status, headers);
          res.end(events[0].data);
          return;
        }
        break;
      }
      buffered.push(r.value);
      const parsed = sseEvents((text += decoder.decode(r.value, { stream: true })));
      text = parsed.rest;
      for (const d of parsed.data) if (d.trim() !== '') events.push({ data: d, response: isResponseJson(d) });
      pending = reader.read();
      if (events.length > 1 || (events.length === 1 && !events[0].response)) break;
    }
  } finally {
    clearTimeout(timer);
  }
  // stream it: what was read, then the rest
  const rest = pending;
  let pendingRead: Promise<Read> | undefined = rest;
  const replay = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const b of buffered) controller.enqueue(b);
      if (!rest) controller.close();
    },
    async pull(controller) {
      if (!rest) return;
      const r = await (pendingRead ?? reader.read());
      pendingRead = undefined;
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return sendWebResponse(res, new Response(replay, { status: response.status, headers: response.headers }));
}
