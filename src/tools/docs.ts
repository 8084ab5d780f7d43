/**
 * The tool table of docs/tools.md (and of README.md) generated from the
 * inventory, so the docs cannot drift from the code. The table sits between
 * two markers; everything around it is hand-written prose.
 */
import type { ToolDefinition } from './define';

export const TOOLS_BEGIN = '<!-- tools:begin (generated from src/tools/inventory.ts by `npm run docs`) -->';
export const TOOLS_END = '<!-- tools:end -->';

type DocTool = Pick<ToolDefinition, 'name' | 'toolset' | 'scope' | 'description' | 'annotations' | 'input'>;

/** The first sentence of a description, for a one-line summary. */
export function summary(description: string): string {
  // "e.g." and "i.e." do not end a sentence.
  const flat = description
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\b(e\.g|i\.e)\./g, '$1\u2024');
  const m = /^(.*?[.!?])(\s|$)/.exec(flat);
  return (m ? m[1] : flat).replace(/\u2024/g, '.').replace(/\|/g, '\\|');
}

function hints(t: DocTool): string {
  const a = t.annotations;
  if (a.readOnlyHint) return 'read-only';
  const bits = ['write'];
  if (a.destructiveHint) bits.push('destructive');
  if (a.idempotentHint) bits.push('idempotent');
  if (a.openWorldHint) bits.push('open world');
  return bits.join(', ');
}

/** One markdown table: toolset, tool, parameters, kind, what it does. */
export function renderToolTable(tools: readonly DocTool[]): string {
  const rows = tools.map((t) => {
    const params = Object.keys(t.input)
      .map((p) => `\`${p}\``)
      .join(', ');
    return `| ${t.toolset} | \`${t.name}\` | ${params || '—'} | ${hints(t)} | ${summary(t.description)} |`;
  });
  return ['| toolset | tool | parameters | kind | what it does |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** Replaces the generated section of `doc` (between the markers) with the table of `tools`. */
export function withToolTable(doc: string, tools: readonly DocTool[]): string {
  const begin = doc.indexOf(TOOLS_BEGIN);
  const end = doc.indexOf(TOOLS_END);
  if (begin < 0 || end < begin) throw new Error(`the document has no ${TOOLS_BEGIN} … ${TOOLS_END} section`);
  return `${doc.slice(0, begin)}${TOOLS_BEGIN}\n\n${renderToolTable(tools)}\n\n${doc.slice(end)}`;
}
