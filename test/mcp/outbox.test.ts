import { Outbox } from '../../src/mcp/outbox';

const tick = () => new Promise((r) => setImmediate(r));

describe('Outbox', () => {
  it('coalesces pending notifications per URI while the stream is blocked, then sends each once', async () => {
    let blocked = true;
    const sent: string[] = [];
    const box = new Outbox({
      send: async (uri) => void sent.push(uri),
      isBlocked: () => blocked,
      onStalled: () => {
        throw new Error('not stalled');
      },
      onError: (e) => {
        throw e;
      },
      maxBlockedMs: 60_000,
      pollMs: 5,
    });
    for (let i = 0; i < 10_000; i++) box.notify(`u${i % 3}`);
    await tick();
    expect(sent).toEqual([]);
    expect(box.size).toBe(3);
    expect(box.coalesced).toBe(10_000 - 3);
    blocked = false;
    await new Promise((r) => setTimeout(r, 50));
    expect(sent.sort()).toEqual(['u0', 'u1', 'u2']);
    expect(box.size).toBe(0);
    box.close();
  });

  it('reports a stream that stays blocked', async () => {
    let stalled = 0;
    const box = new Outbox({
      send: async () => undefined,
      isBlocked: () => true,
      onStalled: (ms) => {
        stalled = ms;
      },
      onError: () => undefined,
      maxBlockedMs: 30,
      pollMs: 5,
    });
    box.notify('u');
    await new Promise((r) => setTimeout(r, 120));
    expect(stalled).toBeGreaterThanOrEqual(30);
    box.close();
  });

  it('sends nothing while an exclusive section runs, and resumes after it', async () => {
    const log: string[] = [];
    const box = new Outbox({
      send: async (uri) => void log.push(`send ${uri}`),
      isBlocked: () => false,
      onStalled: () => undefined,
      onError: () => undefined,
      maxBlockedMs: 1000,
    });
    let release!: () => void;
    const section = box.exclusive(async () => {
      log.push('start');
      box.notify('a');
      await new Promise<void>((r) => (release = r));
      log.push('end');
    });
    await tick();
    box.notify('b');
    await tick();
    expect(log).toEqual(['start']);
    release();
    await section;
    await tick();
    await tick();
    expect(log).toEqual(['start', 'end', 'send a', 'send b']);
    box.close();
  });

  it('sends that are done at once leave in the turn of notify; an exclusive section still waits for slow ones', async () => {
    const log: string[] = [];
    let slow: (() => void) | undefined;
    const box = new Outbox({
      send: (uri) => {
        log.push(`send ${uri}`);
        if (!uri.startsWith('slow')) return undefined;
        return new Promise<void>((r) => (slow = r));
      },
      isBlocked: () => false,
      onStalled: () => undefined,
      onError: () => undefined,
      maxBlockedMs: 1000,
    });
    box.notify('a');
    box.notify('b');
    expect(log).toEqual(['send a', 'send b']);
    box.notify('slow');
    const section = box.exclusive(async () => void log.push('exclusive'));
    await tick();
    expect(log).toEqual(['send a', 'send b', 'send slow']);
    slow!();
    await section;
    expect(log).toEqual(['send a', 'send b', 'send slow', 'exclusive']);
    box.close();
  });
});
