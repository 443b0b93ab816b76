// Per-attachment serialisation: a runtime may send DEL while its ADD for the
// same container is still being plumbed (a timeout on its side), and GC must
// not release an attachment whose ADD is in flight. Requests for different
// keys run concurrently; the datastore calls themselves are synchronous.
export class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs fn after every earlier holder of `key` finished. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key);
    let done!: () => void;
    const tail = new Promise<void>((r) => {
      done = r;
    });
    // Uncontended (nearly always): no chain, no extra await before fn.
    const mine = prev === undefined ? tail : prev.then(() => tail);
    this.#tails.set(key, mine);
    if (prev !== undefined) await prev;
    try {
      return await fn();
    } finally {
      done();
      if (this.#tails.get(key) === mine) this.#tails.delete(key);
    }
  }

  /** True while some request holds or waits for `key`. */
  busy(key: string): boolean {
    return this.#tails.has(key);
  }
}
