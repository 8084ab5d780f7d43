/**
 * The MCP conformance suite in CI (test/conformance/run.sh): it installs
 * Node 22 and @modelcontextprotocol/conformance@0.1.16 from the npm registry
 * into .tools/ once, starts a bridge and runs the active server suite with
 * the expected-failures baseline. Nothing is skipped: a failed install fails
 * this test with the script's message.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { cleanupPrefix, connectRedis, testPrefix, testRedisUrl } from '../helpers/redis';

const SCRIPT = join(__dirname, 'run.sh');

jest.setTimeout(15 * 60_000);

describe('MCP conformance suite', () => {
  const prefix = testPrefix('conformance');
  let redis: Redis;

  beforeAll(() => {
    redis = connectRedis();
  });
  afterAll(async () => {
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
  });

  it('passes every scenario outside the fixture-only baseline', async () => {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('bash', [SCRIPT], {
        env: { ...process.env, REDIS_URL: testRedisUrl(), BRIDGE_REDIS_PREFIX: prefix },
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      child.on('close', (c) => resolve({ code: c, output }));
    });
    if (code === 3) throw new Error(`conformance tools could not be installed:\n${output.slice(-3000)}`);
    if (code !== 0) throw new Error(`conformance suite failed (exit ${code}):\n${output.slice(-6000)}`);
    expect(output).toMatch(/Baseline check passed/);
    for (const scenario of [
      'server-initialize',
      'ping',
      'logging-set-level',
      'tools-list',
      'resources-list',
      'resources-subscribe',
      'resources-unsubscribe',
      'server-sse-multiple-streams',
      'dns-rebinding-protection',
    ]) {
      expect(output).toMatch(new RegExp(`✓ ${scenario}: \\d+ passed, 0 failed`));
    }
  });
});
