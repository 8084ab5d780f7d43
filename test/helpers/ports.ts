/** A free loopback TCP port: the same helper the sandbox uses. */
export { freePort } from '../../src/sandbox/redis';
