/**
 * The sandbox's Mattermost: the same fake the tests use (test/fake-mattermost),
 * loaded at run time. It lives outside src/, so the build (rootDir src) cannot
 * import it; the few members the sandbox needs are typed here instead.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { require as tsxRequire } from 'tsx/cjs/api';
import { CliError } from '../cli/errors';

export interface SandboxFake {
  url: string;
  user(ref: string): { id: string; username: string; token: string };
  channel(ref: string): { id: string; name: string; team_id: string };
  token(ref: string): string;
  stop(): Promise<void>;
}

type FakeModule = {
  startFakeMattermost(options?: { port?: number; host?: string; seed?: boolean }): Promise<SandboxFake>;
};

/** src/sandbox and dist/sandbox are both two levels below the package root. */
export const FAKE_DIR = join(__dirname, '..', '..', 'test', 'fake-mattermost');

function loadFakeModule(): FakeModule {
  const entry = join(FAKE_DIR, 'index.ts');
  if (!existsSync(entry)) {
    throw new CliError(
      `the sandbox needs the simulated Mattermost in ${FAKE_DIR}, which this installation does not have; run it from a clone of the repository`,
    );
  }
  // Under tsx (npm run sandbox, bin without dist/) .ts files load natively; from dist/, tsx compiles them on the fly.
  return (require.extensions['.ts'] ? require(entry) : tsxRequire(entry, __filename)) as FakeModule;
}

/** Starts the fake with its default seed (team acme; admin, alice, bob; town-square, off-topic, dev). */
export async function startSandboxFake(): Promise<SandboxFake> {
  return loadFakeModule().startFakeMattermost({ port: 0, host: '127.0.0.1', seed: true });
}
