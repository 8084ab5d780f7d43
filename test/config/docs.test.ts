import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigDocs } from '../../src/config/docs';
import { CONFIG_KEY_NAMES } from '../../src/config/schema';

describe('docs/configuration.md', () => {
  it('is what the schema generates (run `npm run docs` after changing src/config/schema.ts)', () => {
    const committed = readFileSync(join(__dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');
    expect(committed).toBe(renderConfigDocs());
  });

  it('documents every key', () => {
    const text = renderConfigDocs();
    for (const key of CONFIG_KEY_NAMES) expect(text).toContain(`| \`${key}\` |`);
  });
});
