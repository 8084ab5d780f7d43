/**
 * Standalone-stream (GET) events written straight to the socket.
 *
 * The SDK's transport writes every SSE event into a web ReadableStream
 * (`writeSSEEvent`: TextEncoder, enqueue) that `sendWebResponse` reads back
 * and writes to the Node response: per notification a Uint8Array, a read
 * promise and a few microtasks. With 1,000 subscribed sessions that path was
 * a tenth of the bridge's CPU plus its garbage (docs/benchmarks.md, fan-out).
 *
 * `DirectSse` replaces `writeSSEEvent` on one transport: an event for the
 * stream being pumped into the attached response is written to that response
 * directly — byte for byte what the SDK would have enqueued — but only while
 * the pump is idle, i.e. everything enqueued before was already written. Any
 * event that goes the SDK's way (another stream, a replay into a new stream,
 * the pump still busy) clears `idle` until the pump caught up, so the order
 * of events on the wire is the order they were written. When the SDK's
 * internals are not what this expects, every event takes the SDK's way.
 *
 * `sendStandalone` goes one step further for the fan-out's notifications: the
 * message comes as JSON text (the same for every session of a channel), is
 * stored in the event store and written here, without the SDK's
 * `notification()` / `send()` and their promises — only when the SDK would
 * write it to the attached stream at once; otherwise the caller takes the
 * SDK's way.
 */
import type { ServerResponse } from 'node:http';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { STANDALONE_STREAM_ID, type RedisEventStore } from '../event-store';
import { corkForThisTick, sseEvent } from './node-adapter';

type WriteSse = (controller: unknown, encoder: unknown, message: JSONRPCMessage, eventId?: string) => boolean;
type Internals = {
  writeSSEEvent?: WriteSse;
  _streamMapping?: Map<string, { controller?: unknown }>;
};

export class DirectSse {
  private res?: ServerResponse;
  private controller?: unknown;
  private idle = false;
  /** Events written directly (for tests and stats). */
  written = 0;

  constructor(private readonly transport: WebStandardStreamableHTTPServerTransport) {
    const t = transport as unknown as Internals;
    const sdkWrite = t.writeSSEEvent;
    if (typeof sdkWrite !== 'function' || !(t._streamMapping instanceof Map)) return;
    t.writeSSEEvent = (controller, encoder, message, eventId) => {
      if (controller === this.controller && this.idle && this.res && this.write(this.res, message, eventId)) {
        return true;
      }
      if (controller === this.controller) this.idle = false; // queued: what follows waits behind it
      return sdkWrite.call(transport, controller, encoder, message, eventId);
    };
  }

  /** `res` now carries the standalone stream the transport just opened. */
  attach(res: ServerResponse): void {
    const t = this.transport as unknown as Internals;
    this.res = res;
    this.controller = t._streamMapping?.get(STANDALONE_STREAM_ID)?.controller;
    this.idle = false;
  }

  detach(res: ServerResponse): void {
    if (this.res !== res) return;
    this.res = undefined;
    this.controller = undefined;
    this.idle = false;
  }

  /**
   * The pump of `res` is about to wait for a chunk (true) or got one (false). Idle only when the
   * stream's queue is empty too: then nothing written before can still be on its way to the socket.
   * The SDK's stream has the default high-water mark of one chunk, so an empty queue is a desired
   * size of 1 (test/mcp/direct-sse.test.ts checks that on the SDK in use).
   */
  pumpIdle(res: ServerResponse, idle: boolean): void {
    if (this.res !== res) return;
    const size = (this.controller as { desiredSize?: number | null } | undefined)?.desiredSize;
    this.idle = idle && typeof size === 'number' && size >= 1;
  }

  /**
   * Stores a standalone-stream message given as JSON and writes it to the attached stream, when the SDK
   * would write it there at once (the stream is the one attached and nothing is queued before it).
   * False: nothing was stored or written; send it the SDK's way.
   */
  sendStandalone(json: string, store: RedisEventStore): boolean {
    const res = this.res;
    if (!res || !this.idle || res.writableEnded || res.destroyed) return false;
    const t = this.transport as unknown as Internals;
    if (t._streamMapping?.get(STANDALONE_STREAM_ID)?.controller !== this.controller) return false;
    return this.write(res, json, store.storeStandalone(json));
  }

  private write(res: ServerResponse, message: JSONRPCMessage | string, eventId?: string): boolean {
    if (res.writableEnded || res.destroyed) return false;
    corkForThisTick(res); // events written in the same tick leave in one socket write
    res.write(sseEvent(message, eventId));
    this.written++;
    return true;
  }
}
