/**
 * Random JSON at every tool's arguments (fast-check): each answer is either a
 * result matching the tool's output schema or an isError result with a
 * category and a message that helps; nothing throws, nothing crashes, and the
 * world still answers afterwards.
 */
import fc from 'fast-check';
import { TOOL_ERROR_CATEGORIES } from '../../src/tools/define';
import { MATTERMOST_TOOLS, ToolWorld } from './harness';

let world: ToolWorld;
let pools: Record<string, unknown[]>;

beforeAll(async () => {
  world = await ToolWorld.start({ env: { BRIDGE_ALLOW_DIRECT: 'true' } });
  const post = world.fake.post({ user: 'alice', channel: 'town-square', message: 'fuzz target' }) as { id: string };
  const ts = world.fake.channel('town-square');
  pools = {
    channel: ['~town-square', 'acme:off-topic', ts.id, '@alice', '~nope', 'x:y', '', '~', '@'],
    user: ['@alice', 'bob', world.fake.user('admin').id, '@nobody', '###'],
    post_id: [post.id, `${world.fake.url}/acme/pl/${post.id}`, 'ybndrfg8ejkmcpqxot1uwisza3', 'http://x/pl/'],
    root_id: [post.id, 'ybndrfg8ejkmcpqxot1uwisza3'],
    message: ['fuzz', 'x'.repeat(16_384), ''],
    terms: ['fuzz', 'from:alice', '"unterminated', '-', 'in:'],
    emoji_name: ['+1', ':eyes:', 'bad emoji', ''],
    file_id: ['ybndrfg8ejkmcpqxot1uwisza3', 'short'],
    limit: [1, 5, 0, -1, 201, 1.5, 1e9],
    cursor: [
      'before:ybndrfg8ejkmcpqxot1uwisza3',
      'offset:1',
      'page:1',
      'search:0:0',
      'from:1:ybndrfg8ejkmcpqxot1uwisza3',
      '?',
    ],
    command: ['/echo hi', 'echo', '/', '/nosuch'],
    team: ['acme', 'nope', '!!'],
    status: ['online', 'busy'],
  };
});
afterAll(async () => {
  await world.stop();
});

const json = fc.jsonValue({ maxDepth: 2 });

function argsFor(params: string[]) {
  const value = (name: string) => (pools[name] ? fc.oneof(fc.constantFrom(...pools[name]), json) : json);
  const known = fc.record(Object.fromEntries(params.map((p) => [p, value(p)])), { requiredKeys: [] });
  return fc.oneof(
    { weight: 6, arbitrary: known },
    { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), json, { maxKeys: 4 }) },
    { weight: 1, arbitrary: json },
  );
}

describe('random arguments', () => {
  it.each(MATTERMOST_TOOLS.map((t) => [t.name, t] as const))('%s answers every input usefully', async (name, tool) => {
    await fc.assert(
      fc.asyncProperty(argsFor(Object.keys(tool.input)), async (args) => {
        const r = await world.call(name, args); // throws when structuredContent breaks the output schema
        if (!r.isError) return;
        const e = (r.structuredContent as { error?: { category: string; message: string } }).error;
        expect(e).toBeDefined();
        expect(TOOL_ERROR_CATEGORIES).toContain(e!.category);
        expect(e!.message.length).toBeGreaterThan(15);
        expect(e!.message).not.toMatch(/\n\s+at |unexpected failure|failed unexpectedly|undefined|\[object Object\]/);
      }),
      { numRuns: 25 },
    );
  });

  it('leaves the bridge answering', async () => {
    const r = await world.call('get_me', {});
    expect(r.isError).toBeFalsy();
  });
});
