import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { damonInfo } from '../../bench/lib/env';
import { measureStalls } from '../../bench/lib/stalls';

/** A fake /sys/kernel/mm/damon/admin/kdamonds tree. */
function sysfs(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'mmb-damon-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), `${text}\n`);
  }
  return root;
}

const INTERVAL = 'contexts/0/monitoring_attrs/intervals/sample_us';

describe('the machine line: DAMON', () => {
  const roots: string[] = [];
  const make = (files: Record<string, string>) => {
    const root = sysfs(files);
    roots.push(root);
    return root;
  };
  afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

  it('is absent without the sysfs tree', () => {
    expect(damonInfo(join(tmpdir(), 'no-such-damon-tree'))).toBeUndefined();
  });

  it('reports a running monitor, its sampling interval and its scheme', () => {
    const root = make({
      nr_kdamonds: '1',
      '0/state': 'on',
      [`0/${INTERVAL}`]: '500000',
      '0/contexts/0/schemes/0/action': 'pageout',
    });
    expect(damonInfo(root)).toEqual({ sampleMs: 500, action: 'pageout' });
  });

  it('skips monitors that are off and leaves out a missing scheme', () => {
    const root = make({
      nr_kdamonds: '2',
      '0/state': 'off',
      [`0/${INTERVAL}`]: '500000',
      '1/state': 'on',
      [`1/${INTERVAL}`]: '5000',
    });
    expect(damonInfo(root)).toEqual({ sampleMs: 5 });
  });

  it('is absent when every monitor is off or its interval unreadable', () => {
    expect(damonInfo(make({ nr_kdamonds: '1', '0/state': 'off', [`0/${INTERVAL}`]: '500000' }))).toBeUndefined();
    expect(damonInfo(make({ nr_kdamonds: '1', '0/state': 'on', [`0/${INTERVAL}`]: 'x' }))).toBeUndefined();
  });
});

describe('the machine line: stalls', () => {
  it('spins one thread per core by default and reports shares and gaps within their bounds', async () => {
    const r = await measureStalls(150);
    expect(r.threads).toBe(cpus().length);
    expect(r).toMatchObject({ ms: 150, gapMs: 1 });
    expect(r.lostPct).toBeGreaterThanOrEqual(0);
    expect(r.lostPct).toBeLessThanOrEqual(100);
    expect(r.gapsPerSecond).toBeGreaterThanOrEqual(0);
    expect(r.maxMs).toBeGreaterThanOrEqual(0);
  });

  it('counts the gaps it is asked to: every clock step is a gap above a threshold of 1 ns', async () => {
    const r = await measureStalls(50, 1e-6, 1);
    expect(r.gapsPerSecond).toBeGreaterThan(1000);
    expect(r.lostPct).toBeGreaterThan(50); // the loop's own time between two readings counts too
  });

  it('rejects sizes that are not positive', async () => {
    await expect(measureStalls(0)).rejects.toThrow(/must be positive/);
    await expect(measureStalls(100, -1)).rejects.toThrow(/must be positive/);
    await expect(measureStalls(100, 1, 0)).rejects.toThrow(/must be positive/);
  });
});
