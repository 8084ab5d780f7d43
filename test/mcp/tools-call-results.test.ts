/**
 * tools/call is registered on the SDK's Protocol, not through Server's override, which re-validated
 * (and deep-copied) every result against CallToolResultSchema (src/mcp/tools.ts). The results are now
 * ours to keep valid: every shape callTool and errorResult make must pass that schema, and the
 * request itself is still parsed (a malformed tools/call gets a JSON-RPC error, not a crash).
 */
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { CallToolResultSchema, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { callTool, errorResult } from '../../src/mcp/tools';
import { TOOL_ERROR_CATEGORIES, defineTool, ToolError } from '../../src/tools/define';
import { startMcpHttp, type McpHttpHandle } from '../../src/mcp/start';
import { connectRedis, testPrefix } from '../helpers/redis';
import {
  READ_KEY,
  buildServices,
  connectClient,
  stopMcpTest,
  testConfig,
  testLogger,
  type TestServices,
} from './harness';

jest.setTimeout(60_000);

describe('tools/call results', () => {
  it('errorResult is a valid CallToolResult for any category and message', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TOOL_ERROR_CATEGORIES), fc.string(), (category, message) => {
        expect(CallToolResultSchema.safeParse(errorResult(category, message)).success).toBe(true);
      }),
    );
  });

  it('callTool gives a valid CallToolResult whatever the handler returns or throws', async () => {
    const outcome = fc.oneof(
      fc.record(
        {
          text: fc.string(),
          structured: fc.dictionary(fc.string(), fc.jsonValue()),
          content: fc.array(
            fc.record({
              type: fc.constant('image' as const),
              data: fc.base64String(),
              mimeType: fc.constant('image/png'),
            }),
            { maxLength: 2 },
          ),
        },
        { requiredKeys: ['text', 'structured'] },
      ),
      fc.string().map((m) => new ToolError('not_found', m)),
      fc.string().map((m) => new Error(m)),
    );
    await fc.assert(
      fc.asyncProperty(outcome, fc.jsonValue(), fc.integer({ min: 50, max: 500 }), async (out, args, max) => {
        const tool = defineTool({
          name: 'probe',
          toolset: 'streams',
          scope: 'read',
          description: 'test',
          input: { n: z.number().optional() },
          output: {},
          annotations: {
            title: 'probe',
            readOnlyHint: true,
            destructiveHint: false,
            idempotentHint: true,
            openWorldHint: false,
          },
          handler: async () => {
            if (out instanceof Error) throw out;
            return out as { text: string; structured: Record<string, never> };
          },
        });
        const result = await callTool(tool as never, args, { signal: new AbortController().signal } as never, {
          services: {} as never,
          session: { id: 's' } as never,
          log: testLogger(),
          outputMaxChars: max,
        });
        expect(CallToolResultSchema.safeParse(result).success).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  describe('over HTTP', () => {
    const prefix = testPrefix('tools-call');
    let redis: Redis;
    let services: TestServices;
    let mcp: McpHttpHandle;

    beforeAll(async () => {
      redis = connectRedis();
      services = buildServices(testConfig(prefix));
      mcp = await startMcpHttp(services);
    });

    afterAll(() => stopMcpTest({ mcp, services, redis, prefix }));

    it('answers valid results, and malformed or unknown calls with JSON-RPC errors', async () => {
      const { client } = await connectClient(mcp.url, READ_KEY);
      const calls: [string, Record<string, unknown>][] = [
        ['wait_for_events', { timeout_ms: 0 }],
        ['get_events', { limit: 3 }],
        ['get_events', { limit: 'many' }], // a validation error result
      ];
      for (const [name, args] of calls) {
        const raw = await client.request({ method: 'tools/call', params: { name, arguments: args } }, z.any());
        expect(CallToolResultSchema.safeParse(raw).success).toBe(true);
      }
      const invalid = (await client.callTool({ name: 'get_events', arguments: { limit: 'many' } })) as {
        isError?: boolean;
      };
      expect(invalid.isError).toBe(true);
      await expect(
        client.request({ method: 'tools/call', params: { arguments: {} } } as never, z.any()),
      ).rejects.toThrow();
      await expect(client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toMatchObject({
        code: ErrorCode.InvalidParams,
      });
      // still serving
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
      await client.close();
    });
  });
});
