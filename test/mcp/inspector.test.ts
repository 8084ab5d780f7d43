/**
 * An external client: the MCP Inspector CLI (2.12.0, a devDependency) lists
 * tools and resources and calls get_events, over HTTP and over stdio.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { McpHttpHandle } from '../../src/mcp/start';
import type { FakeMattermost } from '../fake-mattermost';
import { testPrefix, testRedisUrl } from '../helpers/redis';
import { ADMIN_KEY, READ_KEY, ingestPost, startMcpWithFake, type McpWithFake, type TestServices } from './harness';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const INSPECTOR = join(ROOT, 'node_modules', '.bin', 'mcp-inspector');
const BIN = join(ROOT, 'bin', 'mattermost-mcp-bridge.js');

jest.setTimeout(90_000);

describe('MCP Inspector CLI', () => {
  const prefix = testPrefix('mcp-inspector');
  const home = mkdtempSync(join(tmpdir(), 'mmb-inspector-'));
  let world: McpWithFake;
  let fake: FakeMattermost;
  let services: TestServices;
  let mcp: McpHttpHandle;

  beforeAll(async () => {
    world = await startMcpWithFake(prefix);
    ({ fake, services, mcp } = world);
    await ingestPost(
      services,
      fake,
      fake.post({ user: 'alice', channel: 'town-square', message: 'seen by the inspector' }),
    );
  });

  afterAll(async () => {
    await world.stop();
    rmSync(home, { recursive: true, force: true });
  });

  /** Runs the Inspector CLI (HOME is a temp dir: it writes ~/.mcp-inspector) and parses its JSON output. */
  async function inspector(args: string[]): Promise<Record<string, unknown>> {
    const envelope = await inspectorEnvelope(args);
    return (envelope.result as Record<string, unknown> | undefined) ?? envelope;
  }

  /** The whole JSON output: `result`, and `schemaFindings` when --strict found unportable schemas. */
  async function inspectorEnvelope(args: string[]): Promise<Record<string, unknown>> {
    const { stdout } = await run(INSPECTOR, ['--cli', ...args, '--format', 'json', '--connect-timeout', '60000'], {
      env: { PATH: process.env.PATH, HOME: home },
      timeout: 60_000,
      maxBuffer: 10 * 1024 * 1024,
    });
    return JSON.parse(stdout) as Record<string, unknown>;
  }

  const auth = () => ['--header', `Authorization: Bearer ${READ_KEY}`];

  it('over HTTP: lists tools and resources and calls get_events', async () => {
    // three separate CLI runs, in parallel to keep the file fast
    const [tools, resources, call] = await Promise.all([
      inspector([mcp.url, ...auth(), '--method', 'tools/list']),
      inspector([mcp.url, ...auth(), '--method', 'resources/list']),
      inspector([mcp.url, ...auth(), '--method', 'tools/call', '--tool-name', 'get_events', '--tool-arg', 'limit=5']),
    ]);
    const names = (tools.tools as { name: string }[]).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['get_events', 'wait_for_events', 'list_watches']));
    expect(names).not.toContain('create_post'); // a read key sees no write tools

    expect((resources.resources as { uri: string }[]).map((r) => r.uri)).toContain('mattermost://events');
    expect(call.isError).toBeFalsy();
    expect(JSON.stringify(call.structuredContent)).toContain('seen by the inspector');
  });

  it("finds every tool's schemas portable (--strict: no findings, e.g. no nullable type arrays)", async () => {
    const adminAuth = ['--header', `Authorization: Bearer ${ADMIN_KEY}`];
    const listed = await inspectorEnvelope([mcp.url, ...adminAuth, '--method', 'tools/list', '--strict']);
    expect(((listed.result as { tools: unknown[] }).tools ?? []).length).toBeGreaterThan(30); // write and admin tools too
    expect(listed.schemaFindings).toBeUndefined();
  });

  it('over stdio: lists tools and resources and calls get_events', async () => {
    const target = [
      process.execPath,
      BIN,
      'stdio',
      '-e',
      `MATTERMOST_URL=${fake.url}`,
      '-e',
      `MATTERMOST_TOKEN=${fake.token('bridge-bot')}`,
      '-e',
      `REDIS_URL=${testRedisUrl()}`,
      '-e',
      `BRIDGE_REDIS_PREFIX=${prefix}`,
      '-e',
      'LOG_LEVEL=warn',
    ];
    const [tools, resources, call] = await Promise.all([
      inspector([...target, '--method', 'tools/list']),
      inspector([...target, '--method', 'resources/list']),
      inspector([...target, '--method', 'tools/call', '--tool-name', 'get_events', '--tool-arg', 'limit=5']),
    ]);
    expect((tools.tools as { name: string }[]).map((t) => t.name)).toEqual(
      expect.arrayContaining(['get_events', 'create_post']),
    );
    expect((resources.resources as { uri: string }[]).map((r) => r.uri)).toContain('mattermost://events');
    expect(call.isError).toBeFalsy();
    expect(JSON.stringify(call.structuredContent)).toContain('seen by the inspector');
  });
});
