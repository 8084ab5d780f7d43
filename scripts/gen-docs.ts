/** Regenerates the docs that come from code: `npm run docs`. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigDocs } from '../src/config/docs';

const root = join(__dirname, '..');
writeFileSync(join(root, 'docs', 'configuration.md'), renderConfigDocs());
console.log('wrote docs/configuration.md');
