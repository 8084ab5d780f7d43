import type { BridgeConfig } from '../config/load';
import { notImplemented } from '../cli/errors';

export async function runDoctor(_config: BridgeConfig): Promise<void> {
  notImplemented('doctor');
}
