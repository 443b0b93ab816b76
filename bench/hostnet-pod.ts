// Per-pod ADD+DEL latency: in-process netlink (NetlinkPodPlumbing) vs the same
// wiring with `ip -batch` (two spawns for ADD, one for DEL), interleaved in the
// same run so both see the same machine load. Everything happens inside
// throwaway namespaces ("node" + pods); the root namespace is not touched.
//   node bench/hostnet-pod.ts [pods=200]
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { NetlinkPodPlumbing } from "../ipamd/hostnet/pod-plumbing.ts";
import type { PodNetworkSpec } from "../ipamd/hostnet/types.ts";
import { createNetns, type TestNetns } from "../test/support/netns.ts";

const N = Number(process.argv[2] ?? 200);
const POOL = 10;

function ipBatch(ns: string, cmds: string[]): void {
  const r = spawnSync("ip", ["-n", ns, "-batch", "-"], { input: `${cmds.join("\n")}\n`, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip -batch in ${ns}: ${r.stderr}`);
}

function ipAdd(node: TestNetns, pod: TestNetns, s: PodNetworkSpec, mac: string): void {
  ipBatch(node.name, [
    `link add ${s.hostVethName} address ${mac} mtu ${s.mtu} type veth peer name ${s.ifName} mtu ${s.mtu} netns ${pod.name}`,
    `link set ${s.hostVethName} up`,
    `route add ${s.podIp}/32 dev ${s.hostVethName} scope link`,
    `rule add to ${s.podIp} lookup main pref 512`,
    `rule add from ${s.podIp} lookup ${s.eniTable} pref 1536`,
  ]);
  ipBatch(pod.name, [
    `link set ${s.ifName} up`,
    `addr add ${s.podIp}/32 dev ${s.ifName}`,
    `route add 169.254.1.1 dev ${s.ifName} scope link`,
    `route add default via 169.254.1.1 dev ${s.ifName}`,
    `neigh add 169.254.1.1 lladdr ${mac} dev ${s.ifName} nud permanent`,
  ]);
}

function ipDel(node: TestNetns, s: PodNetworkSpec): void {
  ipBatch(node.name, [
    `rule del to ${s.podIp} lookup main pref 512`,
    `rule del from ${s.podIp} lookup ${s.eniTable} pref 1536`,
    `link del ${s.hostVethName}`,
  ]);
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

const node = createNetns("bn");
const pods = Array.from({ length: POOL }, () => createNetns("bp"));
const plumbing = new NetlinkPodPlumbing({ hostNetnsPath: node.path });
const t = { nlAdd: [] as number[], nlDel: [] as number[], ipAdd: [] as number[], ipDel: [] as number[] };
let firstNlAdd = 0;
try {
  for (let i = 0; i < N; i++) {
    const pod = pods[i % POOL]!;
    const spec = (tag: string): PodNetworkSpec => ({
      netnsPath: pod.path,
      ifName: "eth0",
      hostVethName: `${tag}${i}`,
      podIp: `10.96.${Math.floor(i / 200)}.${(i % 200) + 1}`,
      mtu: 9001,
      eniTable: 2,
    });
    const a = spec("bnl");
    let t0 = performance.now();
    await plumbing.add(a);
    const add = performance.now() - t0;
    if (i === 0) firstNlAdd = add;
    else t.nlAdd.push(add);
    t0 = performance.now();
    await plumbing.del(a);
    t.nlDel.push(performance.now() - t0);

    const b = spec("bip");
    t0 = performance.now();
    ipAdd(
      node,
      pod,
      b,
      `02:00:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`,
    );
    t.ipAdd.push(performance.now() - t0);
    t0 = performance.now();
    ipDel(node, b);
    t.ipDel.push(performance.now() - t0);
  }
} finally {
  plumbing.close();
  for (const p of pods) p.delete();
  node.delete();
}

const row = (name: string, xs: number[]) =>
  `${name.padEnd(16)} p50 ${pct(xs, 50).toFixed(2).padStart(6)} ms   p90 ${pct(xs, 90).toFixed(2).padStart(6)} ms`;
console.log(`pods: ${N} (interleaved), first netlink ADD (cold): ${firstNlAdd.toFixed(2)} ms`);
console.log(row("netlink ADD", t.nlAdd));
console.log(row("ip -batch ADD", t.ipAdd));
console.log(row("netlink DEL", t.nlDel));
console.log(row("ip -batch DEL", t.ipDel));
const sum = (a: number[], b: number[]) => a.map((x, i) => x + (b[i] ?? 0));
const nl = sum(t.nlAdd, t.nlDel.slice(1));
const ipb = sum(t.ipAdd.slice(1), t.ipDel.slice(1));
console.log(row("netlink ADD+DEL", nl));
console.log(row("ip ADD+DEL", ipb));
console.log(
  `ratio ip -batch / netlink (p50): ADD ${(pct(t.ipAdd, 50) / pct(t.nlAdd, 50)).toFixed(2)}x, ` +
    `DEL ${(pct(t.ipDel, 50) / pct(t.nlDel, 50)).toFixed(2)}x, ADD+DEL ${(pct(ipb, 50) / pct(nl, 50)).toFixed(2)}x`,
);
