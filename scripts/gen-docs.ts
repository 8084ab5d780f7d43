/** Regenerates the docs that come from code: `npm run docs`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigDocs } from '../src/config/docs';
import { TOOLS_BEGIN, withToolTable } from '../src/tools/docs';
import { ALL_TOOLS } from '../src/tools/inventory';

const root = join(__dirname, '..');
writeFileSync(join(root, 'docs', 'configuration.md'), renderConfigDocs());
console.log('wrote docs/configuration.md');

// The tool table, wherever a document carries its markers (docs/tools.md, README.md).
for (const file of ['docs/tools.md', 'README.md']) {
  const path = join(root, file);
  const doc = readFileSync(path, 'utf8');
  if (!doc.includes(TOOLS_BEGIN)) continue;
  writeFileSync(path, withToolTable(doc, ALL_TOOLS));
  console.log(`wrote the tool table of ${file}`);
}
