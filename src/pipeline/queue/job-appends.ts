/**
 * Which partition jobs this process added have had their events appended: the
 * ingest's batching signal. A partition worker runs one job at a time and,
 * as it finishes one (BullMQ's moveToFinished), takes the next waiting job in
 * the same call. So new events are held until the previous jobs appended, and
 * the send the signal releases is issued on the connection the workers share
 * with the producer just before the finishing call: Redis adds the new job
 * first and the worker takes it without waiting (at 1,000 posts/s a 2-second
 * MONITOR sample saw the worker block for a job twice). Batches then hold
 * everything that arrived during a whole job, not only until its start, and
 * a lone event after an idle spell is still sent at once.
 *
 * Job ids of a BullMQ queue are increasing integers, so "appended" is one
 * number per partition. Appends are only seen from workers in this process
 * (`startWorkers({ onJobAppended })`); with the workers elsewhere
 * `whenAppended` simply runs out its time limit, which is the ingest's old
 * fixed interval.
 */
export class JobAppends {
  private readonly added: number[];
  private readonly appended: number[];
  private waiters: (() => void)[] = [];

  constructor(partitions: number) {
    this.added = new Array<number>(partitions).fill(0);
    this.appended = new Array<number>(partitions).fill(0);
  }

  /** The producer added job `jobId` to `partition`. */
  noteAdded(partition: number, jobId: string | undefined): void {
    const id = Number(jobId);
    if (Number.isSafeInteger(id) && id > this.added[partition]) this.added[partition] = id;
  }

  /** A worker of this process appended the events of job `jobId` of `partition` (and is finishing it). */
  noteAppended(partition: number, jobId: string | undefined): void {
    const id = Number(jobId);
    if (!Number.isSafeInteger(id) || !(partition in this.appended) || id <= this.appended[partition]) return;
    this.appended[partition] = id;
    if (this.waiters.length > 0 && this.allAppended()) for (const wake of this.waiters.splice(0)) wake();
  }

  /** Every job added so far has appended (or was never tracked). */
  allAppended(): boolean {
    for (let p = 0; p < this.added.length; p++) if (this.appended[p] < this.added[p]) return false;
    return true;
  }

  /** Resolves true once every job added so far appended, false when `timeoutMs` ran out first. */
  whenAppended(timeoutMs: number): Promise<boolean> {
    if (this.allAppended()) return Promise.resolve(true);
    if (timeoutMs <= 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(wake);
    });
  }
}
