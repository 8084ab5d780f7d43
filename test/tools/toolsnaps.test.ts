/**
 * The tool surface as a contract (after github-mcp-server's __toolsnaps__):
 * every tool of the inventory as tools/list shows it — name, title,
 * description, input and output JSON schema, annotations — plus its toolset
 * and scope, committed under __toolsnaps__/. A change fails here until the
 * snapshot is updated on purpose:
 *
 *   UPDATE_TOOLSNAPS=1 npx jest test/tools/toolsnaps.test.ts
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toolListing } from '../../src/mcp/tools';
import { ALL_TOOLS } from '../../src/tools/inventory';

const DIR = join(__dirname, '__toolsnaps__');
const UPDATE = process.env.UPDATE_TOOLSNAPS === '1' || process.env.UPDATE_TOOLSNAPS === 'true';
const HOW =
  'if the change is intended, run UPDATE_TOOLSNAPS=1 npx jest test/tools/toolsnaps.test.ts and commit the snapshot';

function snapshotOf(tool: (typeof ALL_TOOLS)[number]): string {
  return `${JSON.stringify({ toolset: tool.toolset, scope: tool.scope, ...toolListing(tool) }, null, 2)}\n`;
}

describe('tool snapshots', () => {
  if (UPDATE) mkdirSync(DIR, { recursive: true });

  it.each(ALL_TOOLS.map((t) => [t.name, t] as const))('%s matches its committed snapshot', (name, tool) => {
    const file = join(DIR, `${name}.toolsnap`);
    const now = snapshotOf(tool);
    if (UPDATE) {
      writeFileSync(file, now);
      return;
    }
    if (!existsSync(file)) throw new Error(`no snapshot for tool ${name} (${file}); ${HOW}`);
    const committed = readFileSync(file, 'utf8');
    if (committed !== now) {
      // Show the difference as parsed JSON so the failure names the field that changed.
      expect({ tool: name, surface: JSON.parse(now) }).toEqual({ tool: name, surface: JSON.parse(committed) });
      throw new Error(`snapshot of ${name} differs only in formatting; ${HOW}`);
    }
  });

  it('has no snapshot of a tool that is gone', () => {
    const names = new Set(ALL_TOOLS.map((t) => `${t.name}.toolsnap`));
    const stale = existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith('.toolsnap') && !names.has(f)) : [];
    if (UPDATE) for (const f of stale) unlinkSync(join(DIR, f));
    else expect(stale).toEqual([]);
  });
});
