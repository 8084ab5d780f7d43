/**
 * The Mattermost tools through the MCP layer, with the SDK's own Client over
 * InMemoryTransport: tools/list filtered by toolsets, read-only mode and
 * scopes; results that pass the client's outputSchema validation; errors as
 * isError results; image content; progress notifications.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Scope } from '../../src/config/api-keys';
import { registerTools } from '../../src/mcp/tools';
import { ALL_TOOLS, selectTools } from '../../src/tools/inventory';
import { MATTERMOST_TOOLS, ToolWorld } from './harness';

const MINE = new Set(MATTERMOST_TOOLS.map((t) => t.name));

async function connect(world: ToolWorld, scopes: Scope[] = ['read', 'write']) {
  const cfg = world.services.config;
  const tools = selectTools(ALL_TOOLS, {
    toolsets: cfg.BRIDGE_TOOLSETS,
    readOnly: cfg.BRIDGE_READ_ONLY,
    scopes,
  }).filter((t) => MINE.has(t.name));
  const server = new McpServer({ name: 'test', version: '1.0.0' }, { capabilities: { tools: {} } });
  registerTools(server, tools, {
    services: world.services,
    session: world.session({ scopes }),
    log: world.services.log,
    outputMaxChars: cfg.BRIDGE_OUTPUT_MAX_CHARS,
  });
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  await Promise.all([server.connect(a), client.connect(b)]);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

let world: ToolWorld;
beforeAll(async () => {
  world = await ToolWorld.start();
});
afterAll(async () => {
  await world.stop();
});

describe('Mattermost tools over MCP', () => {
  it('lists every tool with annotations and output schemas, and calls them with validated results', async () => {
    const { client, close } = await connect(world);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual([...MINE].sort());
      for (const t of tools) {
        expect(t.outputSchema).toBeDefined();
        expect(typeof t.annotations?.readOnlyHint).toBe('boolean');
      }
      world.fake.post({ user: 'alice', channel: 'town-square', message: 'over mcp' });
      // The SDK client validates structuredContent against the advertised outputSchema.
      const r = await client.callTool({ name: 'read_channel', arguments: { channel: '~town-square', limit: 5 } });
      expect(r.isError).toBeFalsy();
      expect(JSON.stringify(r.content)).toContain('over mcp');
      const missing = await client.callTool({ name: 'read_channel', arguments: { channel: '~nope' } });
      expect(missing.isError).toBe(true);
      expect(missing.structuredContent).toEqual({
        error: { category: 'not_found', message: expect.stringMatching(/call list_channels$/) },
      });
    } finally {
      await close();
    }
  });

  it('hides write tools from read-only keys and in read-only mode', async () => {
    const reader = await connect(world, ['read']);
    try {
      const names = (await reader.client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('read_channel');
      expect(names).not.toContain('create_post');
      expect(names).not.toContain('upload_file');
    } finally {
      await reader.close();
    }
    const ro = await ToolWorld.start({
      fake: world.fake,
      env: { BRIDGE_READ_ONLY: 'true', BRIDGE_TOOLSETS: 'posts,files' },
    });
    const s = await connect(ro);
    try {
      const names = (await s.client.listTools()).tools.map((t) => t.name).sort();
      expect(names).toEqual(['get_file_info', 'read_channel', 'read_file', 'read_post', 'read_thread', 'search_posts']);
    } finally {
      await s.close();
      await ro.stop();
    }
  });

  it('returns images as image content and reports progress', async () => {
    const { client, close } = await connect(world);
    try {
      const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
      const up = await client.callTool({
        name: 'upload_file',
        arguments: { channel: '~town-square', filename: 'p.png', content: png, encoding: 'base64' },
      });
      const fileId = (up.structuredContent as { file: { id: string } }).file.id;
      const progress: number[] = [];
      const read = await client.callTool({ name: 'read_file', arguments: { file_id: fileId } }, undefined, {
        onprogress: (p) => progress.push(p.progress),
      });
      expect(read.content).toEqual(expect.arrayContaining([{ type: 'image', data: png, mimeType: 'image/png' }]));
      expect(progress.length).toBeGreaterThan(0);
    } finally {
      await close();
    }
  });
});
