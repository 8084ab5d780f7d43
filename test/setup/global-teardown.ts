import type { PrivateRedis } from '../helpers/redis-server';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __privateRedis?: PrivateRedis }).__privateRedis?.destroy();
}
