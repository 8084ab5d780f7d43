/** MCP SDK clients over Streamable HTTP, as agents connect to the bridge. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { installSdkFastPath } from '../../src/mcp/sdk-fastpath';
import { nowMs } from './clock';

// The SDK client asks the same failing zod predicates of every notification as the server does
// (a fifth of this process's CPU at 1,000 posts/s): an agent pays that in its own process, the bench
// would take it from the bridge on the same two cores. The fast path changes no answer (its test).
installSdkFastPath();

export interface BenchClient {
  client: Client;
  transport: StreamableHTTPClientTransport;
  /** Resolves once the standalone GET stream (where notifications arrive) answered 200. */
  streamOpen: Promise<void>;
  close(): Promise<void>;
}

export async function connectClient(url: string, key: string, name = 'bench'): Promise<BenchClient> {
  const client = new Client({ name, version: '1.0.0' });
  let opened!: () => void;
  const streamOpen = new Promise<void>((resolve) => (opened = resolve));
  // The SDK opens the GET stream in the background after initialize; watching its
  // response is the only way to know notifications can flow.
  const watchGet: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (init?.method === 'GET' && res.ok) opened();
    return res;
  };
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: watchGet,
    requestInit: { headers: { Authorization: `Bearer ${key}` } },
    reconnectionOptions: {
      initialReconnectionDelay: 100,
      maxReconnectionDelay: 1000,
      reconnectionDelayGrowFactor: 1.5,
      maxRetries: 5,
    },
  });
  await client.connect(transport);
  return {
    client,
    transport,
    streamOpen,
    async close() {
      await transport.terminateSession().catch(() => undefined);
      await client.close().catch(() => undefined);
    },
  };
}

/** Records the arrival time (nowMs) of every notifications/resources/updated, by URI. */
export function recordNotifications(client: Client): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    const at = nowMs();
    let list = seen.get(n.params.uri);
    if (!list) seen.set(n.params.uri, (list = []));
    list.push(at);
  });
  return seen;
}
