import { notImplemented } from '../cli/errors';

export async function runSandbox(_opts: { json?: boolean; port?: string }): Promise<void> {
  notImplemented('sandbox');
}
