/**
 * The contract every Mattermost tool keeps: fixed names, explicit annotations,
 * descriptions written for a model, bounded inputs, fixed parameter names.
 */
import { z, type ZodRawShape } from 'zod';
import { toJsonSchemaCompat } from '@modelcontextprotocol/sdk/server/zod-json-schema-compat.js';
import { channelsTools } from '../../src/tools/toolsets/channels';
import { commandsTools } from '../../src/tools/toolsets/commands';
import { contextTools } from '../../src/tools/toolsets/context';
import { filesTools } from '../../src/tools/toolsets/files';
import { postsTools } from '../../src/tools/toolsets/posts';
import { reactionsTools } from '../../src/tools/toolsets/reactions';
import { usersTools } from '../../src/tools/toolsets/users';

const TOOLSETS = {
  context: contextTools,
  channels: channelsTools,
  posts: postsTools,
  reactions: reactionsTools,
  users: usersTools,
  files: filesTools,
  commands: commandsTools,
};

/** Brief §4.3 (respond_to_command comes with the slash-command area). */
const BRIEF: Record<string, string[]> = {
  context: ['get_me', 'list_teams'],
  channels: ['list_channels', 'get_channel', 'join_channel', 'create_channel'],
  posts: [
    'read_channel',
    'read_thread',
    'read_post',
    'search_posts',
    'create_post',
    'update_post',
    'delete_post',
    'pin_post',
    'unpin_post',
  ],
  reactions: ['add_reaction', 'remove_reaction', 'get_reactions'],
  users: ['get_user', 'search_users', 'get_user_status', 'set_status'],
  files: ['upload_file', 'read_file', 'get_file_info'],
  commands: ['list_commands', 'execute_command'],
};

/** Names the brief fixes, and the names a model might reach for instead. */
const FORBIDDEN_PARAMS = [
  'channel_id',
  'channel_name',
  'user_id',
  'username',
  'postId',
  'post',
  'query',
  'emoji',
  'fileId',
  'page',
  'per_page',
  'count',
  'text_content',
];

const all = Object.values(TOOLSETS).flat();

function jsonSchema(shape: ZodRawShape, strategy: 'input' | 'output') {
  return toJsonSchemaCompat(z.object(shape), { strictUnions: true, pipeStrategy: strategy }) as {
    properties?: Record<string, Record<string, unknown>>;
  };
}

describe('Mattermost tool definitions', () => {
  it('are exactly the tools of the brief, in their toolsets', () => {
    for (const [toolset, tools] of Object.entries(TOOLSETS)) {
      expect(tools.map((t) => t.name)).toEqual(BRIEF[toolset]);
      for (const t of tools) expect(t.toolset).toBe(toolset);
    }
    expect(new Set(all.map((t) => t.name)).size).toBe(all.length);
  });

  it.each(all.map((t) => [t.name, t] as const))('%s sets every annotation explicitly', (_name, tool) => {
    const a = tool.annotations as Record<string, unknown>;
    for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint']) {
      expect(typeof a[hint]).toBe('boolean');
    }
    expect(typeof a.title).toBe('string');
    expect((a.title as string).length).toBeGreaterThan(3);
    if (a.readOnlyHint) expect(a.destructiveHint).toBe(false);
  });

  it.each(all.map((t) => [t.name, t] as const))('%s: scope matches read-only-ness', (_name, tool) => {
    expect(tool.scope).toBe(tool.annotations.readOnlyHint ? 'read' : 'write');
  });

  it.each(all.map((t) => [t.name, t] as const))('%s has a description written for a model', (_name, tool) => {
    expect(tool.description.length).toBeGreaterThanOrEqual(80);
    expect(tool.description.length).toBeLessThanOrEqual(1200);
    expect(tool.description).not.toMatch(/TODO|FIXME/);
  });

  it.each(all.map((t) => [t.name, t] as const))('%s has bounded inputs with fixed parameter names', (_name, tool) => {
    const props = jsonSchema(tool.input, 'input').properties ?? {};
    for (const [param, schema] of Object.entries(props)) {
      expect(FORBIDDEN_PARAMS).not.toContain(param);
      expect(param).toMatch(/^[a-z][a-z_]*$/);
      if (schema.type === 'string') expect(schema.maxLength ?? schema.enum ?? schema.format).toBeDefined();
      if (schema.type === 'number' || schema.type === 'integer') expect(schema.maximum).toBeDefined();
      if (schema.type === 'array') expect(schema.maxItems).toBeDefined();
      if (param === 'limit') expect(schema.maximum).toBeLessThanOrEqual(200);
      if (param === 'message') expect(schema.maxLength).toBe(16_383);
      expect(typeof schema.description === 'string' || param === 'cursor' || schema.enum !== undefined).toBe(true);
    }
  });

  it.each(all.map((t) => [t.name, t] as const))('%s has an output schema', (_name, tool) => {
    const out = jsonSchema(tool.output, 'output');
    expect(Object.keys(out.properties ?? {}).length).toBeGreaterThan(0);
  });

  it('take the fixed parameter names where they apply', () => {
    const params = (name: string) => Object.keys(all.find((t) => t.name === name)!.input);
    expect(params('read_channel')).toEqual(expect.arrayContaining(['channel', 'limit', 'cursor']));
    expect(params('create_post')).toEqual(expect.arrayContaining(['channel', 'message', 'root_id', 'file_ids']));
    expect(params('search_posts')).toEqual(expect.arrayContaining(['terms', 'limit', 'cursor']));
    expect(params('add_reaction')).toEqual(['post_id', 'emoji_name']);
    expect(params('read_file')).toContain('file_id');
    expect(params('get_user')).toEqual(['user']);
    expect(params('execute_command')).toEqual(expect.arrayContaining(['channel', 'command']));
  });
});
