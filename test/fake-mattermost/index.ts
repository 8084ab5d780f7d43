/**
 * The fake Mattermost for tests and the sandbox. Start it in-process with
 * `startFakeMattermost()`; see README.md for what it simulates.
 */
export { startFakeMattermost } from './server';
export type { FakeMattermost, FakeMattermostOptions } from './server';
export { DEFAULT_SEED } from './seed';
export type { SeedInput, SeedState, SeededChannel, SeededUser, SeededTeam } from './seed';
export type { FaultsInput, FailRule, SlowRule, RateLimitConfig } from './faults';
export type { Broadcast } from './hub';
export type { CommandResponse, ExecuteResult, CommandExchange } from './slash';
