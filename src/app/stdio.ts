import type { BridgeConfig } from '../config/load';
import { requireForServe } from '../config/load';
import { notImplemented } from '../cli/errors';

export async function runStdio(config: BridgeConfig): Promise<void> {
  requireForServe(config, { apiKeys: false, mattermost: true });
  notImplemented('stdio');
}
