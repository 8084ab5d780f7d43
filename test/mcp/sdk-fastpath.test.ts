/**
 * The SDK fast path (src/mcp/sdk-fastpath.ts) must change no answer: on
 * generated values and JSON-RPC-shaped messages, the installed predicates
 * agree with the SDK's own zod-based ones.
 */
import fc from 'fast-check';
import * as sdkTypes from '@modelcontextprotocol/sdk/types.js';
import { installSdkFastPath, originalPredicates } from '../../src/mcp/sdk-fastpath';

const patched = () => require('@modelcontextprotocol/sdk/types.js') as typeof sdkTypes;

const message = fc.record(
  {
    jsonrpc: fc.constantFrom('2.0', '1.0', 2),
    id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
    method: fc.constantFrom(
      'notifications/resources/updated',
      'tools/call',
      '',
      'initialize',
      'notifications/initialized',
    ),
    params: fc.oneof(
      fc.constant({ uri: 'mattermost://events' }),
      fc.constant({ protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } }),
      fc.anything(),
    ),
    result: fc.oneof(fc.constant({}), fc.dictionary(fc.string(), fc.jsonValue()), fc.anything()),
    error: fc.oneof(
      fc.record({ code: fc.integer(), message: fc.string() }),
      fc.record({ code: fc.integer(), message: fc.string(), data: fc.jsonValue() }),
      fc.anything(),
    ),
    extra: fc.anything(),
  },
  { requiredKeys: [] },
);

describe('SDK fast path for the message predicates', () => {
  beforeAll(() => installSdkFastPath());

  test('is installed where the transport reads it', () => {
    expect(patched().isJSONRPCResultResponse).not.toBe(originalPredicates.isJSONRPCResultResponse);
    expect(patched().isJSONRPCErrorResponse).not.toBe(originalPredicates.isJSONRPCErrorResponse);
    for (const name of Object.keys(originalPredicates) as (keyof typeof originalPredicates)[]) {
      expect(patched()[name]).not.toBe(originalPredicates[name]);
    }
    installSdkFastPath(); // idempotent
  });

  test('answers exactly as the SDK does, on messages and on anything else', () => {
    fc.assert(
      fc.property(fc.oneof(message, fc.anything()), (value) => {
        const types = patched();
        expect(types.isJSONRPCResultResponse(value)).toBe(originalPredicates.isJSONRPCResultResponse(value));
        expect(types.isJSONRPCErrorResponse(value)).toBe(originalPredicates.isJSONRPCErrorResponse(value));
        expect(types.isJSONRPCResponse(value)).toBe(originalPredicates.isJSONRPCResultResponse(value));
        expect(types.isJSONRPCError(value)).toBe(originalPredicates.isJSONRPCErrorResponse(value));
        expect(types.isJSONRPCRequest(value)).toBe(originalPredicates.isJSONRPCRequest(value));
        expect(types.isJSONRPCNotification(value)).toBe(originalPredicates.isJSONRPCNotification(value));
        expect(types.isInitializeRequest(value)).toBe(originalPredicates.isInitializeRequest(value));
        expect(types.isInitializedNotification(value)).toBe(originalPredicates.isInitializedNotification(value));
      }),
      { numRuns: 3000 },
    );
  });

  test('the common cases', () => {
    const types = patched();
    const notification = { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'x' } };
    const result = { jsonrpc: '2.0', id: 1, result: {} };
    const error = { jsonrpc: '2.0', id: 1, error: { code: -32000, message: 'no' } };
    expect([notification, result, error].map((m) => types.isJSONRPCResultResponse(m))).toEqual([false, true, false]);
    expect([notification, result, error].map((m) => types.isJSONRPCErrorResponse(m))).toEqual([false, false, true]);
    const call = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get_events' } };
    const init = {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
    };
    expect([call, init, notification].map((m) => types.isJSONRPCRequest(m))).toEqual([true, true, false]);
    expect([call, init, notification].map((m) => types.isInitializeRequest(m))).toEqual([false, true, false]);
    expect([call, notification].map((m) => types.isJSONRPCNotification(m))).toEqual([false, true]);
  });
});
