/**
 * Which partition jobs this process added have started, and whether the
 * running ones have appended their events: the ingest's batching signal. A
 * partition worker runs one job at a time and each job costs the same BullMQ
 * round trips whatever its size, so the ingest holds new events back while
 * the workers are busy, letting batches grow exactly as fast as the workers
 * fall behind, and sends a lone event at once when they keep up.
 *
 * The hold ends when every job added so far has started *and* appended
 * (`whenTaken`): that is the moment a worker is about to complete its job, and
 * BullMQ's completion call fetches the next job in the same round trip, so a
 * batch sent then is the next one to run. Ending it when the jobs had started
 * (before 2026-12-08) sent the batch a whole job early, and an event that
 * arrived after that send waited for two more jobs instead of one (bench
 * notes, item 20).
 *
 * Job ids of a BullMQ queue are increasing integers, so each fact is one
 * number per partition. They are only seen from workers in this process
 * (`startWorkers({ onJobStarted, onJobAppended })`); with the workers
 * elsewhere the waits simply run out their time limit, which is the ingest's
 * old fixed interval.
 */
export class JobStarts {
  private readonly added: number[];
  private readonly started: number[];
  private readonly appended: number[];
  private waiters: (() => void)[] = [];

  constructor(partitions: number) {
    this.added = new Array<number>(partitions).fill(0);
    this.started = new Array<number>(partitions).fill(0);
    this.appended = new Array<number>(partitions).fill(0);
  }

  /** The producer added job `jobId` to `partition`. */
  noteAdded(partition: number, jobId: string | undefined): void {
    const id = Number(jobId);
    if (Number.isSafeInteger(id) && id > this.added[partition]) this.added[partition] = id;
  }

  /** A worker of this process started job `jobId` of `partition`. */
  noteStarted(partition: number, jobId: string | undefined): void {
    const id = Number(jobId);
    if (!Number.isSafeInteger(id) || id <= this.started[partition]) return;
    this.started[partition] = id;
    this.wakeReady();
  }

  /** A worker of this process appended the events of job `jobId` of `partition` (so it has started, too). */
  noteAppended(partition: number, jobId: string | undefined): void {
    const id = Number(jobId);
    if (!Number.isSafeInteger(id) || id <= this.appended[partition]) return;
    this.appended[partition] = id;
    if (id > this.started[partition]) this.started[partition] = id;
    this.wakeReady();
  }

  /** Every job added so far has started (or was never tracked). */
  allStarted(): boolean {
    for (let p = 0; p < this.added.length; p++) if (this.started[p] < this.added[p]) return false;
    return true;
  }

  /** Every job added so far has started, and the newest started job of each partition has appended. */
  allTaken(): boolean {
    for (let p = 0; p < this.added.length; p++) {
      if (this.started[p] < this.added[p] || this.appended[p] < this.started[p]) return false;
    }
    return true;
  }

  /** Resolves true once `allTaken()` holds, false when `timeoutMs` ran out first. */
  whenTaken(timeoutMs: number): Promise<boolean> {
    if (this.allTaken()) return Promise.resolve(true);
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

  private wakeReady(): void {
    if (this.waiters.length > 0 && this.allTaken()) for (const wake of this.waiters.splice(0)) wake();
  }
}
