// Progress output: one line per step with ✓/✗ and its wall time, indented
// notes under it, and the final summary of what failed.
export interface Outcome {
  title: string;
  ok: boolean;
  ms: number;
  error?: string;
}

const color = process.stdout.isTTY
  ? { ok: "\x1b[32m✓\x1b[0m", bad: "\x1b[31m✗\x1b[0m", dim: (s: string) => `\x1b[2m${s}\x1b[0m` }
  : { ok: "✓", bad: "✗", dim: (s: string) => s };

export function note(line: string): void {
  console.log(`      ${color.dim(line)}`);
}

export async function timed(title: string, fn: () => Promise<string>): Promise<Outcome> {
  const t0 = performance.now();
  try {
    const result = await fn();
    const ms = performance.now() - t0;
    console.log(`  ${color.ok} ${title}${result ? `: ${result}` : ""} ${color.dim(`(${fmtMs(ms)})`)}`);
    return { title, ok: true, ms };
  } catch (e) {
    const ms = performance.now() - t0;
    const error = (e as Error).message;
    console.log(`  ${color.bad} ${title} ${color.dim(`(${fmtMs(ms)})`)}`);
    for (const l of error.split("\n")) note(`error: ${l}`);
    return { title, ok: false, ms, error };
  }
}

export function fmtMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function summary(outcomes: Outcome[], totalMs: number): boolean {
  const failed = outcomes.filter((o) => !o.ok);
  console.log("");
  if (failed.length === 0) {
    console.log(`demo: all ${outcomes.length} checks passed in ${fmtMs(totalMs)}`);
    return true;
  }
  console.log(`demo: ${failed.length} of ${outcomes.length} checks FAILED (${fmtMs(totalMs)}):`);
  for (const f of failed) console.log(`  ${color.bad} ${f.title}: ${f.error?.split("\n")[0]}`);
  return false;
}
