/**
 * For the bench's children: when the bench goes away (its IPC channel closes), stop if we can and
 * exit in any case. A bench that failed may have taken its private Redis with it, and a clean stop
 * then waits on reconnects forever, leaving the child running into later runs.
 */
export function exitWhenOrphaned(stop: () => Promise<unknown>, graceMs = 5000): void {
  process.on('disconnect', () => {
    setTimeout(() => process.exit(1), graceMs).unref();
    void stop().finally(() => process.exit(0));
  });
}

/** For the bench's children, on the bench's `stop`: stop, tell the bench (`stopped`), leave the IPC channel and exit. */
export function stopThenExit(stop: () => Promise<unknown>): void {
  void stop().finally(() => {
    process.send?.({ type: 'stopped' });
    process.disconnect?.();
    setTimeout(() => process.exit(0), 50).unref();
  });
}
