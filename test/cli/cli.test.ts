import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { main } from '../../src/cli/program';

const run = promisify(execFile);
const BIN = join(__dirname, '..', '..', 'bin', 'mattermost-mcp-bridge.js');

async function cli(args: string[], env: Record<string, string> = {}) {
  const lines: string[] = [];
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (/^(MATTERMOST_|BRIDGE_|LOG_LEVEL)/.test(k)) delete process.env[k];
  Object.assign(process.env, env);
  try {
    const code = await main(args, (l) => lines.push(l));
    return { code, lines };
  } finally {
    process.env = saved;
  }
}

describe('CLI', () => {
  it('lists every subcommand in --help (through the real bin)', async () => {
    const { stdout } = await run(process.execPath, [BIN, '--help']);
    for (const sub of ['serve', 'stdio', 'install', 'uninstall', 'doctor', 'sandbox']) {
      expect(stdout).toMatch(new RegExp(`^  ${sub} `, 'm'));
    }
  });

  it('prints its version', async () => {
    const { stdout } = await run(process.execPath, [BIN, '--version']);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('exits 2 with one line per config problem', async () => {
    const { code, lines } = await cli(['serve'], { BRIDGE_PORT: 'abc', LOG_LEVEL: 'loud' });
    expect(code).toBe(2);
    expect(lines).toEqual([
      expect.stringMatching(
        /^config error: BRIDGE_PORT: must be a whole number \(got "abc"\); example: BRIDGE_PORT=8080$/,
      ),
      expect.stringMatching(/^config error: LOG_LEVEL: must be one of/),
    ]);
  });

  it('serve refuses to start without an API key', async () => {
    const { code, lines } = await cli(['serve'], { MATTERMOST_URL: 'http://mm', MATTERMOST_TOKEN: 'tok-abcdefgh' });
    expect(code).toBe(2);
    expect(lines.join('\n')).toMatch(/BRIDGE_API_KEYS: is required/);
  });

  it('rejects unknown roles clearly', async () => {
    const { code, lines } = await cli(['serve', '--roles', 'ingest,cook']);
    expect(code).toBe(2);
    expect(lines.join('\n')).toMatch(/"cook" is not a role/);
  });

  it('an unknown subcommand is a usage error, not a stack trace', async () => {
    const { code, lines } = await cli(['frobnicate']);
    expect(code).toBe(1);
    expect(lines.join('\n')).toMatch(/unknown command 'frobnicate'/);
    expect(lines.join('\n')).not.toMatch(/at .*\.ts:\d+/);
  });

  it('reads --config files and reports their problems', async () => {
    const { code, lines } = await cli(['doctor', '--config', '/nonexistent/file.yaml']);
    expect(code).toBe(2);
    expect(lines[0]).toMatch(/^config error: --config: cannot read/);
  });
});
