/**
 * The bench's child processes run compiled JavaScript, as production does
 * (`npm run build` → node dist/...): tsx's loader would add its own memory
 * (~30 MB RSS) and CPU to what the bench measures. `buildChildren()` compiles
 * the two entry points (and the src/ they import) with tsc into a temporary
 * directory; `childScript()` names the file to fork and how.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

export interface ChildBuild {
  /** Where the compiled tree is; undefined = run the TypeScript sources through tsx. */
  outDir?: string;
  remove(): void;
}

export function buildChildren(): ChildBuild {
  const outDir = mkdtempSync(join(tmpdir(), 'mmb-bench-build-'));
  const tsc = require.resolve('typescript/bin/tsc');
  const res = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'bench', 'tsconfig.json'), '--outDir', outDir], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (res.status !== 0) {
    rmSync(outDir, { recursive: true, force: true });
    throw new Error(`compiling the bench's child processes failed:\n${res.stdout}${res.stderr}`);
  }
  // src/cli/version.ts reads ../../package.json relative to itself
  copyFileSync(join(ROOT, 'package.json'), join(outDir, 'package.json'));
  return { outDir, remove: () => rmSync(outDir, { recursive: true, force: true }) };
}

export const SOURCES: ChildBuild = { remove: () => undefined };

/** The script to fork for a child entry point (`bench/bridge/main`), with what it needs. */
export function childScript(
  build: ChildBuild,
  entry: string,
): { script: string; compiled: boolean; env: Record<string, string> } {
  if (!build.outDir) return { script: join(ROOT, `${entry}.ts`), compiled: false, env: {} };
  return {
    script: join(build.outDir, `${entry}.js`),
    compiled: true,
    env: { NODE_PATH: join(ROOT, 'node_modules') },
  };
}
