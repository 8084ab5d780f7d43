/**
 * The same MCP surface over stdio, for one local client: stdout carries only
 * JSON-RPC (logs go to stderr through the logger), the identity is local with
 * every scope and the global channel policy, and subscriptions are fed by the
 * same fan-out as HTTP sessions.
 */
import { randomBytes } from 'node:crypto';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Readable, Writable } from 'node:stream';
import type { BridgeServices } from '../app/services';
import type { SessionInfo } from '../tools/context';
import { ALL_TOOLS } from '../tools/inventory';
import { parseUri } from '../updates/uris';
import { localIdentity } from './auth';
import { FanOut, type Subscriber } from './fanout';
import { resourceAllowed } from './resources';
import { buildMcpServer, subscriptionError } from './server';
import { toolsFor } from './start';
import type { AnyTool } from './tools';

export type StdioOptions = { stdin?: Readable; stdout?: Writable; tools?: AnyTool[] };

export type StdioHandle = { closed: Promise<void>; stop(): Promise<void> };

export async function startStdio(services: BridgeServices, opts: StdioOptions = {}): Promise<StdioHandle> {
  const log = services.log.child({ role: 'mcp-stdio' });
  const identity = localIdentity(services.policy);
  const info: SessionInfo = {
    id: `stdio-${randomBytes(6).toString('hex')}`,
    keyName: identity.keyName,
    scopes: identity.scopes,
    policy: identity.policy,
  };
  const fanout = new FanOut(services, log);
  const subscriptions = new Set<string>();
  const holder: { server?: ReturnType<typeof buildMcpServer> } = {};
  // stdio never blocks the way an HTTP stream does: stdout is a pipe the client drains, so no outbox is needed.
  const subscriber: Subscriber = {
    id: info.id,
    policy: identity.policy,
    notify: (uri) => {
      holder.server?.server.sendResourceUpdated({ uri }).catch((err) => log.warn({ err }, 'notification failed'));
    },
  };
  const server = (holder.server = buildMcpServer({
    services,
    session: info,
    tools: toolsFor(services, opts.tools ?? ALL_TOOLS)(identity),
    log,
    subscriptions: {
      subscribe: async (uri) => {
        if (subscriptions.has(uri)) return;
        if (subscriptions.size >= services.config.BRIDGE_MAX_SUBSCRIPTIONS) {
          throw subscriptionError(`already ${subscriptions.size} subscriptions (BRIDGE_MAX_SUBSCRIPTIONS)`);
        }
        const parsed = parseUri(uri);
        if (parsed && !(await resourceAllowed(services, info, parsed))) {
          throw subscriptionError(`${uri} is not available (channel policy)`);
        }
        subscriptions.add(uri);
        fanout.subscribe(subscriber, uri);
      },
      unsubscribe: async (uri) => {
        subscriptions.delete(uri);
        fanout.unsubscribe(subscriber, uri);
      },
    },
  }));
  await fanout.start();
  const transport = new StdioServerTransport(opts.stdin, opts.stdout);
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  transport.onclose = () => resolveClosed();
  await server.connect(transport);
  log.info('MCP server on stdio');
  const stdin = opts.stdin ?? process.stdin;
  stdin.once('end', () => void server.close());
  let stopping: Promise<void> | undefined;
  return {
    closed,
    stop() {
      stopping ??= (async () => {
        await server.close().catch(() => undefined);
        await fanout.stop();
      })();
      return stopping;
    },
  };
}
