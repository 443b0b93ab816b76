// Shared command-line conventions of the benches: `--smoke` picks tiny sizes
// (the smoke test only checks that a bench completes and prints its headline),
// and the headline is printed LAST, prefixed so scripts can find it.
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";

export function isSmoke(argv: readonly string[] = process.argv): boolean {
  return argv.includes("--smoke");
}

/** The machine's 1-minute load average, printed with every result (2 shared cores). */
export function loadNote(): string {
  return `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")} on this machine while it ran`;
}

export const HEADLINE_PREFIX = "HEADLINE";

/** Prints the bench's headline ratio; must be the bench's last output line. */
export function printHeadline(line: string): void {
  console.log(`${HEADLINE_PREFIX} ${line}`);
}

/**
 * Smoke runs write their JSON/SVG to a temp dir, so they never overwrite real
 * results; so do runs with `--no-save` (measurement runs while developing).
 */
export function resultsDir(argv: readonly string[] = process.argv): string | undefined {
  if (isSmoke(argv)) return join(tmpdir(), "vpc-cni-bench-smoke");
  return argv.includes("--no-save") ? join(tmpdir(), "vpc-cni-bench-nosave") : undefined;
}
