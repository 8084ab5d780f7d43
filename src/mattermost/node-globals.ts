/**
 * `@mattermost/client`'s WebSocketClient expects browser globals. Node 20 has
 * neither `WebSocket` (the client reads `WebSocket.OPEN` even with a custom
 * factory) nor `CloseEvent` (built on ping timeouts and seq mismatches; without
 * it the socket is left dead after an uncaught ReferenceError).
 */
import WebSocket from 'ws';

export function installWebSocketGlobals(): void {
  const g = globalThis as Record<string, unknown>;
  g.WebSocket ??= WebSocket;
  g.CloseEvent ??= class CloseEvent extends Event {
    readonly code: number;
    readonly reason: string;
    readonly wasClean: boolean;
    constructor(type: string, init: { code?: number; reason?: string; wasClean?: boolean } = {}) {
      super(type);
      this.code = init.code ?? 0;
      this.reason = init.reason ?? '';
      this.wasClean = Boolean(init.wasClean);
    }
  };
}
