/**
 * One McpServer per session: tools from the filtered inventory, the resources
 * of brief §4.4, and resources/subscribe + unsubscribe (which McpServer does
 * not handle itself: the low-level handlers are installed here, with the
 * capabilities declared before connect).
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv-provider.js';
import {
  ErrorCode,
  McpError,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { BridgeServices } from '../app/services';
import type { Logger } from '../logging/logger';
import type { SessionInfo } from '../tools/context';
import { version } from '../cli/version';
import { registerTools, type AnyTool } from './tools';
import { registerResources, ResourceCatalog } from './resources';

export const SERVER_NAME = 'mattermost-mcp-bridge';

export const INSTRUCTIONS = `This server bridges a Mattermost chat: it streams what the bot sees and lets you act in channels.
To follow conversations, loop: (1) call get_events once to get a cursor (and recent updates), (2) call wait_for_events with that cursor — it returns as soon as something happens, or empty at its timeout, (3) act on the updates (reply with create_post and root_id, react, answer /mcp ask tasks with respond_to_command), (4) call wait_for_events again with the next_cursor it returned. Never reuse an old cursor; if one expired, restart from the cursor the error names.
Resources (mattermost://...) can also be read and subscribed to; subscriptions send notifications/resources/updated.`;

export interface SubscriptionHooks {
  subscribe(uri: string): Promise<void>;
  unsubscribe(uri: string): Promise<void>;
}

export type BuildServerOptions = {
  services: BridgeServices;
  session: SessionInfo;
  tools: AnyTool[];
  log: Logger;
  subscriptions: SubscriptionHooks;
};

/**
 * One JSON Schema validator for every session: without it each McpServer builds its own Ajv
 * instance (about 19 KB kept and 0.5 ms of CPU per session). It compiles only schemas it is
 * given (elicitation forms) and caches them, so sharing changes no answer.
 */
let sharedValidator: AjvJsonSchemaValidator | undefined;

export function buildMcpServer(opts: BuildServerOptions): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, title: 'Mattermost MCP bridge', version },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        completions: {},
        logging: {},
      },
      instructions: INSTRUCTIONS,
      jsonSchemaValidator: (sharedValidator ??= new AjvJsonSchemaValidator()),
    },
  );
  registerTools(server, opts.tools, {
    services: opts.services,
    session: opts.session,
    log: opts.log,
    outputMaxChars: opts.services.config.BRIDGE_OUTPUT_MAX_CHARS,
  });
  registerResources(server, new ResourceCatalog(opts.services, opts.session));
  server.server.setRequestHandler(SubscribeRequestSchema, async (req) => {
    await opts.subscriptions.subscribe(req.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
    await opts.subscriptions.unsubscribe(req.params.uri);
    return {};
  });
  return server;
}

/** Errors the subscription hooks throw, as JSON-RPC errors. */
export function subscriptionError(message: string): McpError {
  return new McpError(ErrorCode.InvalidParams, message);
}
