/** What every tool handler receives: the process's services and the calling session. */
import type { Scope } from '../config/api-keys';
import type { BridgeServices } from '../app/services';
import type { ChannelPolicy } from '../policy/channel-policy';

export interface SessionInfo {
  id: string;
  /** Name of the API key (or `local` for stdio / BRIDGE_AUTH=none). */
  keyName: string;
  scopes: Scope[];
  /** Global policy narrowed by the key's own channel policy. */
  policy: ChannelPolicy;
}

export interface ToolContext {
  services: BridgeServices;
  session: SessionInfo;
  signal: AbortSignal;
  /** Sends notifications/progress when the caller gave a progressToken; otherwise a no-op. */
  progress: (progress: number, total?: number, message?: string) => Promise<void>;
}
