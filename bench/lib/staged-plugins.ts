// Puts the plugin binaries of both sides of a comparison in the same state
// before they are timed: a fresh copy each in one temp directory, then their
// page cache dropped, so the first (warm-up) execs read them from disk the
// same way.
//
// Why: exec time depends on the page-cache state of the binary, and much more
// for a 107 MB Bun executable than for a 4 MB Go one. Measured here (300
// interleaved VERSION execs each, p50): our plugin freshly written 4.51 ms,
// the same binary written 20 minutes earlier 5.76 ms, dropped and re-read by
// exec 5.24 ms; Debian's ptp 2.19 / 2.35 / 2.24 ms. A just-built plugin
// against apt-installed Go binaries would flatter us by ~1 ms per exec; a node
// where the plugin has sat in /opt/cni/bin for days looks like the re-read case.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

export interface StagedPlugins {
  dir: string;
  /** The staged copy of a binary, by its original path. */
  path(original: string): string;
  remove(): void;
}

export function stagePlugins(binaries: string[]): StagedPlugins {
  const dir = mkdtempSync(join(tmpdir(), "bench-plugins-"));
  for (const b of binaries) {
    const to = join(dir, basename(b));
    copyFileSync(b, to);
    // GNU dd's iflag=nocache with count=0 drops the file's cached pages (posix_fadvise DONTNEED).
    const r = spawnSync("dd", [`if=${to}`, "iflag=nocache", "count=0", "status=none"]);
    if (r.status !== 0) throw new Error(`dropping the page cache of ${to} failed: ${r.stderr}`);
  }
  return {
    dir,
    path: (original) => join(dir, basename(original)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
