import type { BridgeConfig } from '../config/load';
import { requireForServe } from '../config/load';
import type { ROLES } from '../config/schema';
import { notImplemented } from '../cli/errors';

export type Role = (typeof ROLES)[number];

export async function runServe(config: BridgeConfig, opts: { roles: Role[] }): Promise<void> {
  requireForServe(config, { apiKeys: opts.roles.includes('mcp'), mattermost: true });
  notImplemented('serve');
}
