import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import IORedis from 'ioredis';
import { PrivateRedis, pingRedis } from '../helpers/redis-server';
import { cleanupPrefix, connectRedis, testPrefix } from '../helpers/redis';

describe('test Redis harness', () => {
  it('the run has a Redis that answers', async () => {
    expect(await pingRedis(process.env.REDIS_URL!)).toBe(true);
  });

  it('cleans up exactly its own prefix', async () => {
    const redis = connectRedis();
    const mine = testPrefix('mine');
    const other = testPrefix('other');
    try {
      await redis.mset(`${mine}:a`, '1', `${mine}:b`, '2', `${other}:a`, '3');
      expect(await cleanupPrefix(redis, mine)).toBe(2);
      expect(await redis.exists(`${mine}:a`, `${mine}:b`)).toBe(0);
      expect(await redis.get(`${other}:a`)).toBe('3');
    } finally {
      await cleanupPrefix(redis, other);
      redis.disconnect();
    }
  });

  it('a private appendonly redis-server keeps data across a SIGKILL restart', async () => {
    const server = await PrivateRedis.start({ appendonly: true });
    try {
      let r = new IORedis(server.url);
      await r.set('k', 'v');
      r.disconnect();
      await server.restart({ kill: true });
      r = new IORedis(server.url);
      expect(await r.get('k')).toBe('v');
      r.disconnect();
      await server.stop();
      expect(await pingRedis(server.url, 300)).toBe(false);
    } finally {
      await server.destroy();
    }
  });

  it('without appendonly a restart loses the data', async () => {
    const server = await PrivateRedis.start({ appendonly: false });
    try {
      let r = new IORedis(server.url);
      await r.set('k', 'v');
      r.disconnect();
      await server.restart();
      r = new IORedis(server.url);
      expect(await r.get('k')).toBeNull();
      r.disconnect();
    } finally {
      await server.destroy();
    }
  });

  it('a process that dies of an uncaught error takes its private redis-server with it', async () => {
    const helper = join(__dirname, '../helpers/redis-server');
    const script = `require(${JSON.stringify(helper)}).PrivateRedis.start().then((r) => {
      console.log(r.url);
      setImmediate(() => { throw new Error('crash on purpose'); });
    });`;
    const tsx = join(__dirname, '../../node_modules/.bin/tsx');
    const out = await promisify(execFile)(tsx, ['-e', script]).then(
      () => {
        throw new Error('the child was meant to crash');
      },
      (err: { stdout: string; stderr: string }) => err,
    );
    expect(out.stderr).toContain('crash on purpose');
    const url = out.stdout.trim();
    expect(url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(await pingRedis(url, 300)).toBe(false);
  }, 30_000);
});
