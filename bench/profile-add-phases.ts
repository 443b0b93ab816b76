// Where CNI ADD/DEL time goes, measured side by side in ONE run (interleaved,
// so machine load hits every variant alike):
//   1. exec start-up: build/vpc-cni VERSION vs /usr/lib/cni/ptp VERSION vs host-local VERSION
//   2. exec + socket round trip: build/vpc-cni DEL against a stand-in ipamd that answers at once
//   3. ipamd's phases, in-process, real Datastore + Checkpoint (temp dir on the
//      real disk) + NetlinkPodPlumbing in throwaway namespaces: assign (memory),
//      persist (checkpoint write), plumb ADD, and for DEL: rules/route removal,
//      host veth delete, release+persist.
//   node bench/profile-add-phases.ts [rounds=60]     (root; unset NODE_EXTRA_CA_CERTS)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Checkpoint } from "../ipamd/datastore/checkpoint.ts";
import { Datastore } from "../ipamd/datastore/datastore.ts";
import { DurableDatastore } from "../ipamd/datastore/durable.ts";
import { openRtnlIn } from "../ipamd/hostnet/netns.ts";
import { NetlinkPodPlumbing } from "../ipamd/hostnet/pod-plumbing.ts";
import { RT_TABLE_MAIN } from "../ipamd/hostnet/rtnl.ts";
import type { PodNetworkSpec } from "../ipamd/hostnet/types.ts";
import { startFakeIpamd } from "../test/support/fake-ipamd.ts";
import { createNetns, type TestNetns } from "../test/support/netns.ts";
import { execTimed } from "./lib/exec.ts";

delete process.env["NODE_EXTRA_CA_CERTS"];
const rounds = Number(process.argv[2] ?? 60);
const root = new URL("..", import.meta.url).pathname;
const samples: Record<string, number[]> = {};
const put = (k: string, ms: number) => {
  samples[k] ??= [];
  samples[k].push(ms);
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((p / 100) * xs.length)]!;

const fake = await startFakeIpamd();
const node = createNetns("pn");
const pods: TestNetns[] = [];
const dir = mkdtempSync(join(tmpdir(), "prof-add-"));
const ds = new Datastore({ cooldownMs: 0 });
ds.upsertEni({
  id: "eni-1",
  mac: "02:00:00:00:00:01",
  deviceIndex: 1,
  primary: false,
  subnetId: "subnet-1",
  subnetCidr: "10.0.0.0/16",
  primaryIp: "10.0.0.10",
  attachedAtMs: 0,
});
// A realistic checkpoint: ~110 other pods already assigned (34 KB as measured in checkpoint.ts).
ds.addIps(
  "eni-1",
  Array.from({ length: 110 + rounds + 5 }, (_, i) => `10.0.${1 + (i >> 8)}.${i & 255}`),
);
for (let i = 0; i < 110; i++)
  ds.assign(
    {
      key: { network: "aws-cni", containerId: `bg${i}`.padEnd(64, "0"), ifName: "eth0" },
      pod: { namespace: "default", name: `bg-${i}` },
      netns: `/var/run/netns/cni-${i}`,
      hostVeth: `eni${i}`,
    },
    0,
  );
const durable = new DurableDatastore(ds, new Checkpoint(join(dir, "cp.json")));
const plumbing = new NetlinkPodPlumbing({ hostNetnsPath: node.path });
const host = openRtnlIn(undefined);
try {
  const verEnv = { PATH: "/usr/bin:/bin", CNI_COMMAND: "VERSION" };
  const delEnv = (i: number) => ({
    PATH: "/usr/bin:/bin",
    CNI_COMMAND: "DEL",
    CNI_CONTAINERID: `c${i}`,
    CNI_NETNS: "",
    CNI_IFNAME: "eth0",
    CNI_PATH: "/usr/lib/cni",
    CNI_ARGS: `K8S_POD_NAMESPACE=default;K8S_POD_NAME=p${i}`,
  });
  const conf = JSON.stringify({
    cniVersion: "1.0.0",
    name: "aws-cni",
    type: "vpc-cni",
    socketPath: fake.socketPath,
  });
  for (let i = -3; i < rounds; i++) {
    const keep = i >= 0;
    const t = async (k: string, f: () => Promise<unknown>) => {
      const t0 = performance.now();
      await f();
      if (keep) put(k, performance.now() - t0);
    };
    const exec = [
      () => t("exec VERSION vpc-cni", () => execTimed(`${root}build/vpc-cni`, verEnv, "")),
      () => t("exec VERSION ptp", () => execTimed("/usr/lib/cni/ptp", verEnv, "")),
      () => t("exec VERSION host-local", () => execTimed("/usr/lib/cni/host-local", verEnv, "")),
      () => t("exec DEL vpc-cni vs stand-in ipamd", () => execTimed(`${root}build/vpc-cni`, delEnv(i), conf)),
    ];
    for (const f of i % 2 === 0 ? exec : exec.reverse()) await f();

    // ipamd phases for one pod.
    const pod = createNetns("pp");
    pods.push(pod);
    const key = { network: "aws-cni", containerId: `prof${i + 10}`.padEnd(64, "0"), ifName: "eth0" };
    const req = {
      key,
      pod: { namespace: "prof", name: `p${i}` },
      netns: pod.path,
      hostVeth: `prof${i + 10}`,
    };
    let t0 = performance.now();
    const r = ds.assign(req, Date.now());
    const tAssign = performance.now() - t0;
    if (!r.ok) throw new Error("assign failed");
    t0 = performance.now();
    const saved = await durable.persist();
    const tPersist = performance.now() - t0;
    if (!saved.ok) throw saved.error;
    const spec: PodNetworkSpec = {
      netnsPath: pod.path,
      ifName: "eth0",
      hostVethName: req.hostVeth,
      podIp: r.assignment.ip,
      mtu: 9001,
      eniTable: 2,
    };
    t0 = performance.now();
    await plumbing.add(spec);
    const tPlumb = performance.now() - t0;
    // Persist and plumb at once, as an alternative ADD (same pod, second veth name).
    const pod2 = createNetns("pq");
    pods.push(pod2);
    const spec2 = {
      ...spec,
      hostVethName: `${req.hostVeth}b`,
      netnsPath: pod2.path,
      podIp: `10.9.0.${(i + 10) % 250}`,
    };
    t0 = performance.now();
    await Promise.all([durable.persist(), plumbing.add(spec2)]);
    const tBoth = performance.now() - t0;
    t0 = performance.now();
    await plumbing.del(spec2);
    const tDel2 = performance.now() - t0;
    if (keep) {
      put("ipamd assign (memory)", tAssign);
      put("ipamd persist (checkpoint save)", tPersist);
      put("ipamd plumb ADD (netlink)", tPlumb);
      put("ipamd persist || plumb ADD", tBoth);
      put("ipamd plumb DEL (whole)", tDel2);
    }
    // DEL split: rules + route first, then the veth itself (host side), then release+persist.
    const { delPodRoutes, delHostVeth } = await splitDel(spec);
    const tRules = delPodRoutes;
    const tVeth = delHostVeth;
    t0 = performance.now();
    const rel = await durable.release(key);
    const tRel = performance.now() - t0;
    if (!rel.ok) throw new Error("release failed");
    if (keep) {
      put("ipamd DEL rules+route", tRules);
      put("ipamd DEL host veth delete (kernel)", tVeth);
      put("ipamd DEL release+persist", tRel);
    }
  }
} finally {
  host.close();
  plumbing.close();
  for (const p of pods) p.delete();
  node.delete();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
}

/** delPod's two halves, timed separately, in the node namespace. */
async function splitDel(spec: PodNetworkSpec): Promise<{ delPodRoutes: number; delHostVeth: number }> {
  const { openNetns } = await import("../ipamd/hostnet/netns.ts");
  const h = openNetns(node.path);
  const nl = openRtnlIn(h.fd);
  try {
    const ip32 = `${spec.podIp}/32`;
    let t0 = performance.now();
    while (await nl.deleteRule({ priority: 512, table: RT_TABLE_MAIN, dst: ip32 }));
    while (await nl.deleteRule({ priority: 1536, table: spec.eniTable ?? 0, src: ip32 }));
    const link = await nl.linkByName(spec.hostVethName);
    if (link) await nl.deleteRoute({ dst: ip32, oif: link.index, table: RT_TABLE_MAIN, scope: "link" });
    const a = performance.now() - t0;
    t0 = performance.now();
    await nl.deleteLinkByName(spec.hostVethName);
    return { delPodRoutes: a, delHostVeth: performance.now() - t0 };
  } finally {
    nl.close();
    h.close();
  }
}

console.log(`${rounds} rounds, interleaved; p50 / p90 ms`);
for (const [k, xs] of Object.entries(samples))
  console.log(`${k.padEnd(40)} ${pct(xs, 50).toFixed(2).padStart(7)} ${pct(xs, 90).toFixed(2).padStart(7)}`);
