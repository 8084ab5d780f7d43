/** What slash-command handlers receive: the process's services plus the slash-specific parts. */
import type { BridgeServices } from '../app/services';
import type { EventLogWriter } from '../eventlog/types';
import type { SlashForm } from './form';
import { CommandTasks } from './tasks';

/** The form as handlers and follow-up jobs see it: never the token. */
export type InvocationForm = Omit<SlashForm, 'token'>;

/** A job for the `slash` follow-up queue (see followups.ts). */
export type FollowupJob =
  | { kind: 'command'; command: string; args: unknown; form: InvocationForm; replyId: string }
  | { kind: 'ask.post'; requestId: string };

export interface FollowupEnqueuer {
  enqueue(job: FollowupJob, jobId: string): Promise<void>;
  /** Job counts of the queue (waiting, active, failed...), for `/mcp status`. */
  depth?(): Promise<Record<string, number>>;
}

export interface SlashEnv {
  services: BridgeServices;
  /** The write side of the event log (services.eventLog is the read side). */
  eventLog: EventLogWriter;
  tasks: CommandTasks;
  followups: FollowupEnqueuer;
}

export interface Invocation<A> {
  form: InvocationForm;
  args: A;
  /** `/mcp` (the trigger as typed), for usage lines. */
  trigger: string;
}

/** The environment handlers run in, the same in the HTTP process and in the follow-up worker. */
export function slashEnv(services: BridgeServices, followups: FollowupEnqueuer, eventLog?: EventLogWriter): SlashEnv {
  return {
    services,
    eventLog: eventLog ?? services.eventLog,
    tasks: new CommandTasks(services.redis, services.keys, services.config.BRIDGE_RETENTION_AGE),
    followups,
  };
}
