import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadManifest, MANIFEST_PATH, withGeneratedParts } from '../../src/install/manifest';
import { autocompleteData, autocompleteHint, COMMANDS, helpText } from '../../src/slash/commands';

describe('manifest.json', () => {
  const manifest = loadManifest();

  it('is complete: bot, slash command, permissions, minimum server version', () => {
    expect(manifest.bot.username).toMatch(/^[a-z]/);
    expect(manifest.bot.display_name).not.toBe('');
    expect(manifest.bot.description).not.toBe('');
    expect(readFileSync(join(MANIFEST_PATH, '..', manifest.bot.icon), 'utf8')).toContain('<svg');
    expect(manifest.slash_command.trigger).toBe('mcp');
    expect(manifest.slash_command.description.length).toBeLessThanOrEqual(128);
    expect(manifest.slash_command.display_name.length).toBeLessThanOrEqual(64);
    expect(manifest.permissions.bot.map((p) => p.permission)).toEqual(
      expect.arrayContaining(['create_post', 'read_channel', 'add_reaction', 'upload_file']),
    );
    expect(manifest.permissions.install.map((p) => p.permission)).toEqual(
      expect.arrayContaining(['create_bot', 'create_user_access_token', 'manage_slash_commands']),
    );
    expect(manifest.min_server_version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('has the auto-complete the command table generates (run `npx tsx src/install/manifest.ts` after changing the table)', () => {
    expect(manifest.slash_command.auto_complete_hint).toBe(autocompleteHint());
    expect(manifest.slash_command.autocomplete_data).toEqual(
      autocompleteData(manifest.slash_command.trigger, manifest.slash_command.auto_complete_desc),
    );
    expect(withGeneratedParts(manifest)).toEqual(manifest);
  });

  it('lists every subcommand of the table once, in order', () => {
    const subs = manifest.slash_command.autocomplete_data.sub_commands.map((s) => s.trigger);
    expect(subs).toEqual(COMMANDS.map((c) => c.name));
    expect(subs).toEqual(['help', 'status', 'watch', 'unwatch', 'watching', 'ask', 'sessions']);
  });

  it('fails the drift check when the table and the file disagree', () => {
    const drifted = { ...manifest, slash_command: { ...manifest.slash_command, auto_complete_hint: '[help]' } };
    expect(withGeneratedParts(drifted)).not.toEqual(drifted);
  });
});

describe('docs/slash-commands.md', () => {
  /** Table rows compared cell by cell, so Prettier's padding does not count. */
  const normalize = (md: string) =>
    md
      .trim()
      .split('\n')
      .map((line) =>
        line.startsWith('|')
          ? line
              .split(/(?<!\\)\|/)
              .map((c) => c.trim())
              .map((c) => (/^:?-+:?$/.test(c) ? '---' : c))
              .join('|')
          : line.trim(),
      )
      .filter((line) => line !== '')
      .join('\n');

  it('shows the command table as /mcp help renders it (regenerate the section after changing the table)', () => {
    const doc = readFileSync(join(MANIFEST_PATH, '..', 'docs', 'slash-commands.md'), 'utf8');
    const section = /<!-- generated:commands -->([\s\S]*?)<!-- \/generated:commands -->/.exec(doc)?.[1] ?? '';
    expect(normalize(section)).toBe(normalize(helpText('/mcp', ['system_admin', 'channel_admin'])));
  });
});
