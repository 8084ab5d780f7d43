/**
 * The standalone start: one JSON line once listening, the default seed
 * loaded, a clean stop on SIGTERM and SIGINT.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

function start(args: string[]): {
  child: ChildProcessWithoutNullStreams;
  line: Promise<string>;
  out: () => string;
  exit: Promise<number | null>;
} {
  const child = spawn(TSX, [join(__dirname, 'main.ts'), ...args], { cwd: ROOT });
  let out = '';
  child.stdout.setEncoding('utf8');
  const line = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    child.once('exit', () => reject(new Error(`exited before printing a line; stdout=${out}`)));
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, line, out: () => out, exit };
}

it.each(['SIGTERM', 'SIGINT'] as const)(
  'prints one JSON line with the URL, serves the default seed, stops on %s',
  async (signal) => {
    const run = start(['--port', '0']);
    const line = await run.line;
    const parsed = JSON.parse(line) as { url: string };
    expect(Object.keys(parsed)).toEqual(['url']);
    expect(parsed.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const state = (await (await fetch(`${parsed.url}/__fake/state`)).json()) as {
      users: Record<string, { token: string }>;
      channels: Record<string, unknown>;
    };
    expect(Object.keys(state.users).sort()).toEqual(['admin', 'alice', 'bob', 'bridge-bot']);
    expect(Object.keys(state.channels)).toEqual(
      expect.arrayContaining(['town-square', 'off-topic', 'dev', 'alice__bridge-bot']),
    );
    const me = await fetch(`${parsed.url}/api/v4/users/me`, {
      headers: { Authorization: `Bearer ${state.users.alice.token}` },
    });
    expect(me.status).toBe(200);
    run.child.kill(signal);
    expect(await run.exit).toBe(0);
    expect(run.out()).toBe(`${line}\n`);
  },
  20000,
);

it('refuses a bad port with a clear message and a non-zero exit', async () => {
  const run = start(['--port', 'eighty']);
  let err = '';
  run.child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  run.line.catch(() => undefined);
  expect(await run.exit).not.toBe(0);
  expect(err).toMatch(/port/);
}, 20000);
