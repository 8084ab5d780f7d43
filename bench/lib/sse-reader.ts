/** Reads a response as an SSE stream: each event's text (without its blank line), with nowMs() of the chunk that completed it. */
import type { IncomingMessage } from 'node:http';
import { nowMs } from './clock';

export function readSseEvents(res: IncomingMessage, onEvent: (event: string, at: number) => void): void {
  res.setEncoding('utf8');
  let buf = '';
  res.on('data', (chunk: string) => {
    const at = nowMs();
    buf += chunk;
    let end: number;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      onEvent(buf.slice(0, end), at);
      buf = buf.slice(end + 2);
    }
  });
}
