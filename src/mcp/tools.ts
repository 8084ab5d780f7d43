/**
 * Turns tool definitions (src/tools/define.ts) into `tools/list` and
 * `tools/call` on one McpServer. The low-level handlers are used instead of
 * `McpServer.registerTool` so that every failure a model can act on —
 * invalid arguments included — becomes an `isError` result carrying
 * `structuredContent: {error: {category, message}}`.
 */
import { z, type ZodRawShape } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Protocol, type RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { toJsonSchemaCompat } from '@modelcontextprotocol/sdk/server/zod-json-schema-compat.js';
import { portableSchema } from './portable-schema';
import type { Logger } from '../logging/logger';
import { ToolError, TOOL_ERROR_CATEGORIES, type ToolDefinition, type ToolErrorCategory } from '../tools/define';
import type { ToolContext, SessionInfo } from '../tools/context';
import type { BridgeServices } from '../app/services';
import { CursorExpiredError, InvalidCursorError } from '../eventlog/types';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTool = ToolDefinition<any, any, ToolContext>;
export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export const TOOL_ERROR_SCHEMA = {
  type: 'object',
  properties: {
    category: { type: 'string', enum: [...TOOL_ERROR_CATEGORIES] },
    message: { type: 'string' },
  },
  required: ['category', 'message'],
  additionalProperties: false,
} as const;

type JsonSchema = Record<string, unknown>;

function objectSchema(shape: ZodRawShape, pipeStrategy: 'input' | 'output'): JsonSchema {
  return portableSchema(toJsonSchemaCompat(z.object(shape), { strictUnions: true, pipeStrategy }) as JsonSchema);
}

/**
 * The advertised outputSchema: the tool's shape, or `{error}` for isError
 * results (SDK clients validate structuredContent even when isError is set).
 */
export function outputJsonSchema(shape: ZodRawShape): JsonSchema {
  const base = objectSchema(shape, 'output');
  const required = (base.required as string[] | undefined) ?? [];
  const properties = { ...(base.properties as Record<string, unknown>), error: TOOL_ERROR_SCHEMA };
  const { required: _omit, ...rest } = base;
  return { ...rest, properties, anyOf: [{ required }, { required: ['error'] }] };
}

export function toolListing(tool: AnyTool): Tool {
  return {
    name: tool.name,
    title: tool.annotations.title,
    description: tool.description,
    inputSchema: objectSchema(tool.input, 'input') as Tool['inputSchema'],
    outputSchema: outputJsonSchema(tool.output) as Tool['outputSchema'],
    annotations: { ...tool.annotations },
  };
}

/** A listing depends on the definition only: built once per tool, shared by every session (each session used to convert ~40 zod schemas). */
const listings = new WeakMap<AnyTool, Tool>();
function cachedListing(tool: AnyTool): Tool {
  let l = listings.get(tool);
  if (!l) listings.set(tool, (l = toolListing(tool)));
  return l;
}

/** The strict input validator, built once per tool (building it cost a share of every call). */
const validators = new WeakMap<AnyTool, z.ZodTypeAny>();
function inputValidator(tool: AnyTool): z.ZodTypeAny {
  let v = validators.get(tool);
  if (!v) validators.set(tool, (v = z.object(tool.input as ZodRawShape).strict()));
  return v;
}

export function errorResult(category: ToolErrorCategory, message: string): CallToolResult {
  return {
    isError: true,
    content: [{ type: 'text', text: `${category}: ${message}` }],
    structuredContent: { error: { category, message } },
  };
}

/** Keeps one result within `max` characters, saying how to get the rest. */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = `\n… output truncated at ${max} characters; ask for less (a lower limit) or continue from the last cursor shown.`;
  return text.slice(0, Math.max(0, max - note.length)) + note;
}

function describeZodError(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : 'arguments'}: ${i.message}`)
    .join('; ');
}

export type ToolRegistrationOptions = {
  services: BridgeServices;
  session: SessionInfo;
  log: Logger;
  outputMaxChars: number;
};

function progressFor(extra: Extra): ToolContext['progress'] {
  const token = extra._meta?.progressToken;
  if (token === undefined) return async () => {};
  let last = -Infinity;
  return async (progress, total, message) => {
    if (!(progress > last)) return; // the spec wants progress to increase on every notification
    last = progress;
    await extra.sendNotification({
      method: 'notifications/progress',
      params: { progressToken: token, progress, ...(total !== undefined && { total }), ...(message && { message }) },
    });
  };
}

/** Runs one tool: validation, handler, error mapping and output cap. */
export async function callTool(
  tool: AnyTool,
  rawArgs: unknown,
  extra: Extra,
  opts: ToolRegistrationOptions,
): Promise<CallToolResult> {
  const parsed = inputValidator(tool).safeParse(rawArgs ?? {});
  if (!parsed.success) {
    return errorResult(
      'validation',
      `invalid arguments for ${tool.name}: ${describeZodError(parsed.error)}. Check the tool's input schema.`,
    );
  }
  const ctx: ToolContext = {
    services: opts.services,
    session: opts.session,
    signal: extra.signal,
    progress: progressFor(extra),
  };
  try {
    const result = await tool.handler(parsed.data, ctx);
    const extraContent = (result as { content?: CallToolResult['content'] }).content ?? [];
    return {
      content: [{ type: 'text', text: capText(result.text, opts.outputMaxChars) }, ...extraContent],
      structuredContent: result.structured as Record<string, unknown>,
    };
  } catch (err) {
    if (err instanceof ToolError) return errorResult(err.category, err.message);
    if (err instanceof CursorExpiredError || err instanceof InvalidCursorError) {
      return errorResult('validation', err.message);
    }
    if (extra.signal.aborted) return errorResult('unavailable', 'the request was cancelled');
    opts.log.error({ err, tool: tool.name, session: opts.session.id }, 'tool failed');
    return errorResult('unavailable', `${tool.name} failed unexpectedly; try again shortly`);
  }
}

/** Installs tools/list and tools/call for exactly these tools on the server. */
export function registerTools(server: McpServer, tools: AnyTool[], opts: ToolRegistrationOptions): void {
  const byName = new Map(tools.map((t) => [t.name, t]));
  const listing = tools.map(cachedListing);
  server.server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: listing }));
  // Protocol's registration, not Server's: Server wraps tools/call to parse the request a second time and
  // to re-validate (and deep-copy) every result against CallToolResultSchema. Protocol still parses the
  // request; results are made by callTool/errorResult only (test/mcp/tools-call-results.test.ts checks
  // them against the schema). The wrapper was a fifth of the bridge's CPU per quick call (bench notes, item 17).
  Protocol.prototype.setRequestHandler.call(server.server, CallToolRequestSchema, async (request, extra) => {
    const tool = byName.get(request.params.name);
    if (!tool) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Tool ${request.params.name} not found; call tools/list for the tools this key may use`,
      );
    }
    return callTool(tool, request.params.arguments, extra, opts);
  });
}
