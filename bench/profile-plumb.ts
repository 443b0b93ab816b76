// ipamd's per-pod plumbing (NetlinkPodPlumbing.add, then .del) alone,
// in-process, in throwaway namespaces: wall time per ADD and per DEL, and the
// process's CPU per ADD (user, sys). Pods are made beforehand in one `ip -batch`, and by default each ADD
// comes 15 ms after the last one, as ADDs reach ipamd one by one on a node
// (back to back, V8's code and the CPU's caches stay warm and hide JS cost).
//   node bench/profile-plumb.ts [pods=150] [--gap ms]      (root)
// To compare two versions of the code, run it from two checkouts in turn
// (git worktree add /tmp/old <rev>; link node_modules and native/setns/build),
// several rounds interleaved: each run prints one line.
import { execFileSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { NetlinkPodPlumbing } from "../ipamd/hostnet/pod-plumbing.ts";
import { createNetns } from "../test/support/netns.ts";

if (process.getuid?.() !== 0) throw new Error("profile-plumb needs root (network namespaces)");
const N = Number(process.argv.find((a, i) => i >= 2 && /^\d+$/.test(a)) ?? 150);
const gapAt = process.argv.indexOf("--gap");
const GAP_MS = gapAt > 0 ? Number(process.argv[gapAt + 1]) : 15;

const node = createNetns("pplumb");
const pods = Array.from({ length: N }, (_, i) => `pplumb${process.pid}-${i}`);
const ipBatch = (cmd: string) =>
  execFileSync("ip", ["-batch", "-"], { input: pods.map((p) => `netns ${cmd} ${p}`).join("\n") });
const plumbing = new NetlinkPodPlumbing({ hostNetnsPath: node.path });
const specOf = (i: number) => ({
  netnsPath: `/var/run/netns/${pods[i]}`,
  ifName: "eth0",
  hostVethName: `pplumb${i}`,
  podIp: `10.9.${(i + 1) >> 8}.${(i + 1) & 255}`,
  mtu: 9001,
  eniTable: 2,
});
try {
  ipBatch("add");
  await new Promise((r) => setTimeout(r, 1000)); // let the kernel finish the namespaces' set-up
  const ms: number[] = [];
  let busyMs = 0;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await plumbing.add(specOf(i));
    ms.push(performance.now() - t0);
    busyMs += ms[i]!;
    if (GAP_MS > 0) await new Promise((r) => setTimeout(r, GAP_MS));
  }
  const cpu = process.cpuUsage(cpu0);
  // DEL (the host veth's kernel delete runs in the background: not in it).
  const delMs: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await plumbing.del(specOf(i));
    delMs.push(performance.now() - t0);
    if (GAP_MS > 0) await new Promise((r) => setTimeout(r, GAP_MS));
  }
  await plumbing.drain();
  ms.sort((a, b) => a - b);
  delMs.sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(3);
  console.log(
    `plumb ADD x${N} gap ${GAP_MS} ms: p50 ${f(ms[N >> 1]!)} p90 ${f(ms[Math.floor(N * 0.9)]!)} mean ${f(busyMs / N)} ms;` +
      ` CPU per ADD user ${f(cpu.user / 1000 / N)} sys ${f(cpu.system / 1000 / N)} ms;` +
      ` DEL p50 ${f(delMs[N >> 1]!)} p90 ${f(delMs[Math.floor(N * 0.9)]!)} ms`,
  );
} finally {
  plumbing.close();
  ipBatch("del"); // takes each pod's veth pair with it
  node.delete();
}
