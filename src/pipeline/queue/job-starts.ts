/**
 * Which partition jobs this process added have started: the ingest's batching
 * signal. A partition worker runs one job at a time, so a second job added
 * while the first still waits only adds BullMQ round trips; holding new events
 * until the previous jobs started lets batches grow exactly as fast as the
 * workers fall behind, and sends a lone event at once when they keep up.
 *
 * Job ids of a BullMQ queue are increasing integers, so "started" is one number
 * per partition. Starts are only seen from workers in this process
 * (`startWorkers({ onJobStarted })`); with the workers elsewhere `whenStarted`
 * simply runs out its time limit, which is the ingest's old fixed interval.
 */
export class JobStarts {
  private readonly added: number[];
  private readonly started: number[];
  private waiters: (() => void)[] = [];

  constructor(partitions: number) {
    this.added = new Array<number>(partitions).fill(0);
    this.started = new Array<number>(partitions).fill(0);
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
    if (this.waiters.length > 0 && this.allStarted()) for (const wake of this.waiters.splice(0)) wake();
  }

  /** Every job added so far has started (or was never tracked). */
  allStarted(): boolean {
    for (let p = 0; p < this.added.length; p++) if (this.started[p] < this.added[p]) return false;
    return true;
  }

  /** Resolves true once every job added so far started, false when `timeoutMs` ran out first. */
  whenStarted(timeoutMs: number): Promise<boolean> {
    if (this.allStarted()) return Promise.resolve(true);
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
