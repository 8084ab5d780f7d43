/** MCP SDK clients over Streamable HTTP, as agents connect to the bridge. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { installSdkFastPath } from '../../src/mcp/sdk-fastpath';

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
    if (init?.method === 'POST' && init.signal) return postWithOwnSignal(input, init, init.signal);
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

/**
 * A POST on its own abort signal, tied to the transport's shared one until its response arrived.
 * undici adds a listener to the signal of every request and removes it only when the request is
 * garbage-collected, so the SDK transport's one signal for all requests collected thousands of
 * listeners in a loop of quick calls (MaxListenersExceededWarning, and the cost of each add).
 */
async function postWithOwnSignal(
  input: Parameters<typeof fetch>[0],
  init: RequestInit,
  shared: AbortSignal,
): Promise<Response> {
  const own = new AbortController();
  const abort = () => own.abort(shared.reason);
  if (shared.aborted) abort();
  shared.addEventListener('abort', abort, { once: true });
  try {
    return await fetch(input, { ...init, signal: own.signal });
  } finally {
    shared.removeEventListener('abort', abort);
  }
}
