/**
 * Tools are data (after github-mcp-server): each tool is one value built by
 * `defineTool` and listed in `inventory.ts`. The MCP layer turns the filtered
 * inventory into registered tools; docs and snapshots are generated from it.
 */
import type { z, ZodRawShape } from 'zod';
import type { Scope } from '../config/api-keys';
import type { TOOLSETS } from '../config/schema';

export type Toolset = (typeof TOOLSETS)[number];

export type ToolAnnotations = {
  title: string;
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
};

/** Error categories a model can act on (retry or not). */
export const TOOL_ERROR_CATEGORIES = [
  'validation',
  'not_found',
  'forbidden',
  'rate_limited',
  'unavailable',
  'conflict',
] as const;
export type ToolErrorCategory = (typeof TOOL_ERROR_CATEGORIES)[number];

/** Thrown by handlers; becomes an `isError` result whose text says what to do next. */
export class ToolError extends Error {
  constructor(
    readonly category: ToolErrorCategory,
    message: string,
  ) {
    super(message);
    this.name = 'ToolError';
  }
}

export type ToolResult<O extends ZodRawShape> = {
  structured: z.objectOutputType<O, z.ZodTypeAny>;
  /** Compact rendering for the model (names resolved, ISO times, next cursor). */
  text: string;
  /** Extra MCP content blocks after the text, e.g. the image read_file returns. */
  content?: Array<{ type: 'image'; data: string; mimeType: string }>;
};

export interface ToolDefinition<I extends ZodRawShape = ZodRawShape, O extends ZodRawShape = ZodRawShape, C = unknown> {
  name: string;
  toolset: Toolset;
  /** The scope an API key needs to see and call this tool. */
  scope: Scope;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  handler: (args: z.objectOutputType<I, z.ZodTypeAny>, ctx: C) => Promise<ToolResult<O>>;
}

export function defineTool<I extends ZodRawShape, O extends ZodRawShape, C>(
  def: ToolDefinition<I, O, C>,
): ToolDefinition<I, O, C> {
  return def;
}
