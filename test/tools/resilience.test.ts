/**
 * Tools while Mattermost misbehaves: a 429 storm ridden out, a rate limit
 * reported with when to retry, and an outage that opens the circuit (fast,
 * clear errors) and closes it again once Mattermost is back.
 */
import { errorOf, ToolWorld } from './harness';

describe('tools under a 429 storm', () => {
  let world: ToolWorld;
  beforeAll(async () => {
    world = await ToolWorld.start({ resilience: { maxAttempts: 10, maxRetryAfterMs: 5000 } });
  });
  afterAll(async () => {
    world.fake.setFaults({ clear: true });
    await world.stop();
  });

  it('rides it out: every call succeeds once the limit lets requests through', async () => {
    world.fake.post({ user: 'alice', channel: 'town-square', message: 'storm test' });
    world.fake.setFaults({ rateLimit: { perSec: 20, maxBurst: 2 } });
    const calls = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        world.call(
          i % 2 ? 'read_channel' : 'get_user',
          i % 2 ? { channel: '~town-square', limit: 5 } : { user: '@alice' },
        ),
      ),
    );
    for (const c of calls) expect(c.isError ? c.text : 'ok').toBe('ok');
    expect(world.client.resilience.stats.rateLimited).toBeGreaterThan(0);
    expect(world.client.resilience.circuitState).toBe('closed'); // 429 means "up", never an outage
    world.fake.setFaults({ clear: true });
  });
});

describe('tools when the rate limit asks for a long wait', () => {
  it('answer rate_limited with when to retry', async () => {
    const world = await ToolWorld.start({ resilience: { maxAttempts: 3, maxRetryAfterMs: 10 } });
    try {
      await world.call('get_me', {}); // warm the bot identity
      world.fake.setFaults({ rateLimit: { perSec: 0.01, maxBurst: 0 } });
      await world.call('get_user', { user: '@bob' }); // uses up the bucket
      const e = errorOf(await world.call('get_user', { user: '@alice' }));
      expect(e.category).toBe('rate_limited');
      expect(e.message).toMatch(/retry after \d+ s/);
    } finally {
      world.fake.setFaults({ clear: true });
      await world.stop();
    }
  });
});

describe('tools while Mattermost is down', () => {
  it('fail fast with a clear error while the circuit is open, and recover', async () => {
    const world = await ToolWorld.start({
      resilience: { maxAttempts: 2, breakerThreshold: 4, breakerHalfOpenAfterMs: 400 },
    });
    try {
      expect((await world.call('read_channel', { channel: '~town-square' })).isError).toBeFalsy();
      world.fake.setFaults({
        failNext: { path: '/api/v4/**', count: 1000, status: 503, message: 'down for maintenance' },
      });
      const first = errorOf(await world.call('read_channel', { channel: '~off-topic' }));
      expect(first.category).toBe('unavailable');
      // keep calling until the breaker opens
      for (let i = 0; i < 6 && world.client.resilience.circuitState !== 'open'; i++) {
        expect(errorOf(await world.call('get_user', { user: '@bob' })).category).toBe('unavailable');
      }
      expect(world.client.resilience.circuitState).toBe('open');
      const sent = world.client.resilience.stats.requests;
      const fast = errorOf(await world.call('get_user', { user: '@admin' }));
      expect(fast.category).toBe('unavailable');
      expect(fast.message).toMatch(/Mattermost is unavailable .*retry later/);
      expect(world.client.resilience.stats.requests).toBe(sent + 1); // one attempt, refused by the breaker, none retried

      world.fake.setFaults({ clear: true });
      await new Promise((r) => setTimeout(r, 500));
      const back = await world.call('get_user', { user: '@admin' });
      expect(back.isError ? back.text : 'ok').toBe('ok');
      expect(world.client.resilience.circuitState).toBe('closed');
    } finally {
      world.fake.setFaults({ clear: true });
      await world.stop();
    }
  });
});
