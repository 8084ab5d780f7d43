/**
 * manifest.json: what `install` creates in Mattermost (the bot, its slash
 * command, the permissions it needs, the oldest server it supports). The
 * slash command's auto-complete hint and data are generated from the command
 * table (src/slash/commands.ts); test/slash/manifest.test.ts fails when the
 * file drifts. Regenerate with `npx tsx src/install/manifest.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { autocompleteData, autocompleteHint } from '../slash/commands';

/** Works from src/install (tsx, jest) and from dist/install (the build). */
export const MANIFEST_PATH = join(__dirname, '..', '..', 'manifest.json');

const autocompleteArg = z.object({
  name: z.string(),
  hint: z.string(),
  help_text: z.string(),
  type: z.literal('TextInput'),
  required: z.boolean(),
});

type Autocomplete = {
  trigger: string;
  hint: string;
  help_text: string;
  role_id: string;
  arguments: z.infer<typeof autocompleteArg>[];
  sub_commands: Autocomplete[];
};

const autocompleteSchema: z.ZodType<Autocomplete> = z.lazy(() =>
  z.object({
    trigger: z.string(),
    hint: z.string(),
    help_text: z.string(),
    role_id: z.string(),
    arguments: z.array(autocompleteArg),
    sub_commands: z.array(autocompleteSchema),
  }),
);

export const manifestSchema = z.object({
  id: z.string(),
  name: z.string(),
  version: z.string(),
  min_server_version: z.string().regex(/^\d+\.\d+\.\d+$/),
  homepage_url: z.string().optional(),
  bot: z.object({
    username: z.string().regex(/^[a-z][a-z0-9._-]{2,21}$/, 'a Mattermost username (3-22 characters)'),
    display_name: z.string().min(1).max(64),
    description: z.string().max(1024),
    /** SVG file (relative to manifest.json), uploaded as the bot's profile image. */
    icon: z.string(),
  }),
  slash_command: z.object({
    trigger: z.string().regex(/^[a-z0-9][^\s/]{0,127}$/, 'a trigger without "/" or spaces'),
    display_name: z.string().max(64),
    description: z.string().max(128),
    method: z.enum(['P', 'G']),
    auto_complete: z.boolean(),
    auto_complete_desc: z.string(),
    auto_complete_hint: z.string(),
    autocomplete_data: autocompleteSchema,
  }),
  permissions: z.object({
    /** What the bot account must be allowed to do (Mattermost permission ids). */
    bot: z.array(z.object({ permission: z.string(), why: z.string() })),
    /** What the admin token given to `install` must be allowed to do. */
    install: z.array(z.object({ permission: z.string(), why: z.string() })),
    /** Server settings that must be on. */
    server_settings: z.array(z.object({ setting: z.string(), why: z.string() })),
  }),
});

export type Manifest = z.infer<typeof manifestSchema>;

export function loadManifest(path = MANIFEST_PATH): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}: ${issue.path.join('.')} ${issue.message}`);
  }
  return parsed.data;
}

/** The manifest with the parts that come from the command table brought up to date. */
export function withGeneratedParts(manifest: Manifest): Manifest {
  const sc = manifest.slash_command;
  return {
    ...manifest,
    slash_command: {
      ...sc,
      auto_complete_hint: autocompleteHint(),
      autocomplete_data: autocompleteData(sc.trigger, sc.auto_complete_desc),
    },
  };
}

export function writeManifest(path = MANIFEST_PATH): void {
  writeFileSync(path, `${JSON.stringify(withGeneratedParts(loadManifest(path)), null, 2)}\n`);
}

if (require.main === module) {
  writeManifest();
  process.stdout.write(`wrote ${MANIFEST_PATH}\n`);
}
