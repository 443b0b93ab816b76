// Where a real ipamd's resident memory is, by mapping: the node binary's
// file pages (shared, read-only: code, V8's compilers, builtin JS sources,
// ICU), anonymous memory (V8 heap, malloc) and the rest, at start, with 250
// pods assigned, and after churn. Same node and settings as bench:daemon.
// The node binary's resident code pages are also split by what they hold
// (from /proc/<pid>/pagemap and the binary's symbols, `nm`).
//   node bench/profile-rss.ts [--kubernetes] [--churn-seconds=8]     (root)
// Compare with `node bench/profile-mem-imports.ts`, whose "Node builtins
// ipamd loads" row is the floor a Node process pays for what ipamd uses.
import { execFileSync } from "node:child_process";
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import type { Pod } from "../test/harness/index.ts";
import { startBenchNode } from "./daemon/node.ts";

delete process.env["NODE_EXTRA_CA_CERTS"];
if (process.getuid?.() !== 0) throw new Error("profile-rss needs root (network namespaces)");
const kubernetes = process.argv.includes("--kubernetes");
const churnMs = 1000 * Number(process.argv.find((a) => a.startsWith("--churn-seconds="))?.slice(16) ?? 8);
const PODS = 250;

/** Resident KiB per mapping name ("[anon]" for unnamed), from /proc/<pid>/smaps. */
export function rssByMapping(pid: number): Map<string, number> {
  const by = new Map<string, number>();
  let cur = "";
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const m = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) cur = m[1] || "[anon]";
    else {
      const r = /^Rss:\s+(\d+)/.exec(line);
      if (r) by.set(cur, (by.get(cur) ?? 0) + Number(r[1]));
    }
  }
  return by;
}

const PAGE = 4096;

/** Sorted start addresses and names of the node binary's code symbols (non-PIE: link addresses are run addresses). */
function codeSymbols(binary: string): { addr: number[]; name: string[] } {
  const out = execFileSync("nm", ["-n", "-C", "--defined-only", binary], {
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  const addr: number[] = [];
  const name: string[] = [];
  for (const line of out.split("\n")) {
    const m = /^([0-9a-f]+) [tTwW] (.*)$/.exec(line);
    if (m) {
      addr.push(Number.parseInt(m[1]!, 16));
      name.push(m[2]!);
    }
  }
  return { addr, name };
}

function symbolAt(syms: { addr: number[]; name: string[] }, a: number): string {
  let lo = 0;
  let hi = syms.addr.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (syms.addr[mid]! <= a) lo = mid;
    else hi = mid - 1;
  }
  return syms.name[lo] ?? "";
}

const codeClass = (sym: string) =>
  sym.includes("v8::internal::compiler")
    ? "V8 TurboFan/Turboshaft (optimizing compiler)"
    : sym.includes("v8::internal::maglev")
      ? "V8 Maglev (mid-tier compiler)"
      : sym.startsWith("Builtins_") || sym.includes("embedded_blob")
        ? "V8 builtins (embedded)"
        : sym.includes("icu_")
          ? "ICU code"
          : "other code";

/** Where ICU's common data (the icudtNN_dat symbol, ~33 MB in Node 24) lies in the binary. */
function icuDataRange(binary: string): [number, number] | undefined {
  const out = execFileSync("nm", ["-S", "--defined-only", binary], { encoding: "utf8", maxBuffer: 1 << 28 });
  const m = /^([0-9a-f]+) ([0-9a-f]+) [rR] icudt\d+l?_dat$/m.exec(out);
  if (!m) return undefined;
  const at = Number.parseInt(m[1]!, 16);
  return [at, at + Number.parseInt(m[2]!, 16)];
}

/** Resident KiB of the node binary's mappings, code split by symbol class. */
function nodePages(pid: number): Map<string, number> {
  const binary = process.execPath;
  const syms = codeSymbols(binary);
  const icu = icuDataRange(binary);
  const inIcu = (a: number) => icu !== undefined && a >= icu[0] && a < icu[1];
  const by = new Map<string, number>();
  const fd = openSync(`/proc/${pid}/pagemap`, "r");
  try {
    for (const line of readFileSync(`/proc/${pid}/maps`, "utf8").split("\n")) {
      const [range, perms, , , , path] = line.split(/\s+/);
      if (path !== binary || !range || !perms) continue;
      const [lo, hi] = range.split("-").map((x) => Number.parseInt(x, 16)) as [number, number];
      const pages = (hi - lo) / PAGE;
      const buf = Buffer.alloc(pages * 8);
      readSync(fd, buf, 0, buf.length, (lo / PAGE) * 8);
      for (let i = 0; i < pages; i++) {
        if (buf.readBigUInt64LE(i * 8) >> 63n === 0n) continue; // not present
        // V8 maps its embedded builtins a second time, outside the binary's link range.
        const what =
          lo > syms.addr[syms.addr.length - 1]!
            ? "V8 builtins (remapped copy)"
            : perms.includes("x")
              ? codeClass(symbolAt(syms, lo + i * PAGE))
              : perms.includes("w")
                ? "writable data"
                : inIcu(lo + i * PAGE)
                  ? "ICU data (icudt*_dat)"
                  : "other read-only data (builtin JS sources, tables)";
        by.set(what, (by.get(what) ?? 0) + PAGE / 1024);
      }
    }
  } finally {
    closeSync(fd);
  }
  return by;
}

function report(label: string, pid: number): void {
  const by = rssByMapping(pid);
  const total = [...by.values()].reduce((a, b) => a + b, 0);
  const roll = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const anon = Number(/Anonymous:\s+(\d+)/.exec(roll)?.[1] ?? Number.NaN);
  const mib = (kib: number) => (kib / 1024).toFixed(1).padStart(6);
  console.log(`${label}: RSS ${mib(total)} MiB (anonymous ${mib(anon)}, file-backed ${mib(total - anon)})`);
  for (const [name, kib] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 6))
    console.log(`  ${mib(kib)}  ${name}`);
}

const { cluster, node, pid } = await startBenchNode(kubernetes, "r1");
try {
  report("started", pid);
  const pods: Pod[] = [];
  let next = 0;
  const addOne = async () => {
    pods.push(await cluster.addPod(node, { namespace: "rss", name: `p${next++}` }));
  };
  for (let i = 0; i < PODS; i += 8) await Promise.all(Array.from({ length: Math.min(8, PODS - i) }, addOne));
  await new Promise((r) => setTimeout(r, 3000));
  report(`${PODS} pods`, pid);
  const t0 = performance.now();
  while (performance.now() - t0 < churnMs) {
    await cluster.delPod(pods.shift()!);
    await addOne();
  }
  report(`after ${churnMs / 1000} s of churn`, pid);
  console.log("node binary's resident pages, by what they hold:");
  for (const [what, kib] of [...nodePages(pid)].sort((a, b) => b[1] - a[1]))
    console.log(`  ${(kib / 1024).toFixed(1).padStart(6)}  ${what}`);
} finally {
  await cluster.destroy();
}
