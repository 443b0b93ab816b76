// Polls `fn` until it returns a value (not undefined), for integration tests
// that wait on a daemon or the emulator. Errors thrown by `fn` count as "not
// yet"; the last one is named in the timeout message.
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out: ${what} (${String(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
