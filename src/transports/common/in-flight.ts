/**
 * The writes a destination has under way, so that close() can wait for them before it
 * removes its staging folder: a write that finishes after the removal (a copy that
 * was stopped while blobs were still landing) would otherwise recreate folders in it.
 */
export class InFlight {
  private readonly pending = new Set<Promise<unknown>>();

  track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    const done = (): void => {
      this.pending.delete(p);
    };
    p.then(done, done);
    return p;
  }

  /** Resolves once every tracked write has settled, however it ended. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
