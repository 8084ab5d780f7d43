import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_TOOLS } from '../../src/tools/inventory';
import { renderToolTable, summary, TOOLS_BEGIN, TOOLS_END, withToolTable } from '../../src/tools/docs';

const root = join(__dirname, '..', '..');
const HOW = 'run `npm run docs` after changing a tool';

describe('the generated tool table', () => {
  it(`docs/tools.md holds the table of the inventory (${HOW})`, () => {
    const doc = readFileSync(join(root, 'docs', 'tools.md'), 'utf8');
    expect(doc).toBe(withToolTable(doc, ALL_TOOLS));
    for (const t of ALL_TOOLS) expect(doc).toContain(`| \`${t.name}\` |`);
  });

  it(`README.md, where it has the markers, holds the same table (${HOW})`, () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    if (!readme.includes(TOOLS_BEGIN)) return; // the README embeds the table once the integrator adds the markers
    expect(readme).toBe(withToolTable(readme, ALL_TOOLS));
  });

  it('renders one row per tool with its parameters and kind', () => {
    const table = renderToolTable(ALL_TOOLS);
    expect(table.split('\n')).toHaveLength(ALL_TOOLS.length + 2);
    const create = table.split('\n').find((l) => l.includes('`create_post`'));
    expect(create).toMatch(/^\| posts \| `create_post` \| `channel`, `message`, `root_id`, `file_ids` \| write \|/);
    expect(table).toMatch(/\| `read_channel` \| .* \| read-only \|/);
    expect(table).toMatch(/\| `delete_post` \| .* \| write, destructive, idempotent \|/);
  });

  it('refuses a document without the markers, and summarises descriptions by their first sentence', () => {
    expect(() => withToolTable('# no markers', ALL_TOOLS)).toThrow(/tools:begin/);
    expect(summary('Does a thing. Then more.')).toBe('Does a thing.');
    expect(summary('a | b. c')).toBe('a \\| b.');
    expect(summary('Reacts, e.g. with "eyes". More.')).toBe('Reacts, e.g. with "eyes".');
    expect(withToolTable(`x\n${TOOLS_BEGIN}\nold\n${TOOLS_END}\ny`, [])).toContain('| toolset | tool |');
  });
});
