/**
 * Fast rejects in the MCP SDK's (1.32) message predicates. Each is a zod
 * `safeParse`, and a failing parse builds zod issues: about 0.15 ms a time.
 * The Streamable HTTP transport's `send()` asks `isJSONRPCResultResponse` and
 * `isJSONRPCErrorResponse` twice for every message — for a notification both
 * fail, which was a third of the bridge's CPU with 1,000 subscribed sessions
 * (docs/benchmarks.md, fan-out) — and every POST asks `isInitializeRequest`
 * and `isJSONRPCRequest` of its messages, the protocol layer
 * `isJSONRPCNotification` (failing for every tool call).
 *
 * Each schema requires a key (`result`, `error`, `method` and `id`, or one
 * `method` value), so a value without it can never match: answering `false`
 * at once changes no answer, and every value that has it still goes through
 * the SDK's own check (test/mcp/sdk-fastpath.test.ts compares them on
 * generated messages). The SDK reads these functions from the module's
 * exports at each call, which is what makes the replacement effective.
 */
import * as sdkTypes from '@modelcontextprotocol/sdk/types.js';

type Predicate = (value: unknown) => boolean;

/** The predicates replaced, each with the SDK's original. */
export const originalPredicates = {
  isJSONRPCResultResponse: sdkTypes.isJSONRPCResultResponse as Predicate,
  isJSONRPCErrorResponse: sdkTypes.isJSONRPCErrorResponse as Predicate,
  isJSONRPCRequest: sdkTypes.isJSONRPCRequest as Predicate,
  isJSONRPCNotification: sdkTypes.isJSONRPCNotification as Predicate,
  isInitializeRequest: sdkTypes.isInitializeRequest as Predicate,
  isInitializedNotification: sdkTypes.isInitializedNotification as Predicate,
};

type Exports = Record<keyof typeof originalPredicates | 'isJSONRPCResponse' | 'isJSONRPCError', Predicate>;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const has = (value: unknown, key: string) => isObject(value) && key in value;
const methodIs = (value: unknown, method: string) => isObject(value) && value.method === method;

let installed = false;

/** Installs the fast path once per process (idempotent). */
export function installSdkFastPath(): void {
  if (installed) return;
  installed = true;
  // The CommonJS exports object: `import * as` hands over a namespace whose properties may be getters.
  const mod = require('@modelcontextprotocol/sdk/types.js') as Exports;
  const o = originalPredicates;
  try {
    mod.isJSONRPCResultResponse = (v) => has(v, 'result') && o.isJSONRPCResultResponse(v);
    mod.isJSONRPCErrorResponse = (v) => has(v, 'error') && o.isJSONRPCErrorResponse(v);
    mod.isJSONRPCResponse = mod.isJSONRPCResultResponse;
    mod.isJSONRPCError = mod.isJSONRPCErrorResponse;
    mod.isJSONRPCRequest = (v) => has(v, 'method') && has(v, 'id') && o.isJSONRPCRequest(v);
    mod.isJSONRPCNotification = (v) => has(v, 'method') && o.isJSONRPCNotification(v);
    mod.isInitializeRequest = (v) => methodIs(v, 'initialize') && o.isInitializeRequest(v);
    mod.isInitializedNotification = (v) => methodIs(v, 'notifications/initialized') && o.isInitializedNotification(v);
  } catch {
    // a future SDK with frozen exports: keep its own predicates (correct, only slower)
  }
}
