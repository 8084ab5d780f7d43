/**
 * A fast reject in two predicates of the MCP SDK (1.32): the Streamable HTTP
 * transport's `send()` asks `isJSONRPCResultResponse(message)` and
 * `isJSONRPCErrorResponse(message)` — each a zod `safeParse` — twice for
 * every message. For a notification both parses fail, and building the zod
 * issues cost about 0.15 ms per notification: with 1,000 subscribed sessions
 * this was a third of the bridge's CPU (docs/benchmarks.md, fan-out).
 *
 * Both schemas require their key (`result`, resp. `error`), so a value
 * without it can never match: answering `false` at once changes no answer,
 * and every value that has the key still goes through the SDK's own check
 * (test/mcp/sdk-fastpath.test.ts compares both on generated messages).
 * The transport reads these functions from the module's exports at each
 * call, which is what makes the replacement effective.
 */
import * as sdkTypes from '@modelcontextprotocol/sdk/types.js';

type Predicate = (value: unknown) => boolean;
type Exports = Record<'isJSONRPCResultResponse' | 'isJSONRPCErrorResponse' | 'isJSONRPCResponse', Predicate>;

const hasKey = (value: unknown, key: string) => typeof value === 'object' && value !== null && key in value;

let installed = false;

/** Installs the fast path once per process (idempotent). */
export function installSdkFastPath(): void {
  if (installed) return;
  installed = true;
  // The CommonJS exports object: `import * as` hands over a namespace whose properties may be getters.
  const mod = require('@modelcontextprotocol/sdk/types.js') as Exports;
  const isResult = sdkTypes.isJSONRPCResultResponse as Predicate;
  const isError = sdkTypes.isJSONRPCErrorResponse as Predicate;
  try {
    mod.isJSONRPCResultResponse = (v) => hasKey(v, 'result') && isResult(v);
    mod.isJSONRPCErrorResponse = (v) => hasKey(v, 'error') && isError(v);
    mod.isJSONRPCResponse = mod.isJSONRPCResultResponse;
  } catch {
    // a future SDK with frozen exports: keep its own predicates (correct, only slower)
  }
}

/** The SDK's original predicates, for the equivalence test. */
export const originalPredicates = {
  isJSONRPCResultResponse: sdkTypes.isJSONRPCResultResponse as Predicate,
  isJSONRPCErrorResponse: sdkTypes.isJSONRPCErrorResponse as Predicate,
};
