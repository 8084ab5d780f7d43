import type { BridgeConfig } from '../config/load';
import { notImplemented } from '../cli/errors';

export async function runInstall(_config: BridgeConfig, _opts: Record<string, unknown>): Promise<void> {
  notImplemented('install');
}

export async function runUninstall(_config: BridgeConfig, _opts: Record<string, unknown>): Promise<void> {
  notImplemented('uninstall');
}
