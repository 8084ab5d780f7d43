/**
 * The one list of every tool, and the filter that decides which of them a
 * session sees: BRIDGE_TOOLSETS selects toolsets, BRIDGE_READ_ONLY removes
 * every tool that is not read-only, and a key's scopes remove tools it may
 * not call (admin implies read and write).
 */
import type { Scope } from '../config/api-keys';
import type { Toolset } from './define';
import type { AnyTool } from '../mcp/tools';
import { channelsTools } from './toolsets/channels';
import { commandsTools } from './toolsets/commands';
import { contextTools } from './toolsets/context';
import { filesTools } from './toolsets/files';
import { postsTools } from './toolsets/posts';
import { reactionsTools } from './toolsets/reactions';
import { streamsTools } from './toolsets/streams';
import { usersTools } from './toolsets/users';
import { respondToCommandTools } from '../slash/respond-tool';

/** Every tool, in the order tools/list shows them. Each toolset module exports an array. */
export const ALL_TOOLS: AnyTool[] = [
  ...contextTools,
  ...channelsTools,
  ...postsTools,
  ...reactionsTools,
  ...usersTools,
  ...filesTools,
  ...streamsTools,
  ...commandsTools,
  ...respondToCommandTools,
] as AnyTool[];

export type ToolFilter = {
  toolsets: readonly Toolset[];
  readOnly: boolean;
  scopes: readonly Scope[];
};

export function isWriteTool(tool: AnyTool): boolean {
  return !tool.annotations.readOnlyHint;
}

export function selectTools(tools: readonly AnyTool[], filter: ToolFilter): AnyTool[] {
  const scopes = new Set<Scope>(filter.scopes.includes('admin') ? ['read', 'write', 'admin'] : filter.scopes);
  return tools.filter(
    (t) => filter.toolsets.includes(t.toolset) && !(filter.readOnly && isWriteTool(t)) && scopes.has(t.scope),
  );
}

/** Fails fast on two tools with one name (a toolset module added twice, or a copy-paste slip). */
export function assertUniqueNames(tools: readonly AnyTool[]): void {
  const seen = new Set<string>();
  for (const t of tools) {
    if (seen.has(t.name)) throw new Error(`tool ${t.name} is defined twice in the inventory`);
    seen.add(t.name);
  }
}

assertUniqueNames(ALL_TOOLS);
