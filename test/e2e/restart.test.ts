// ipamd SIGKILLed with live pods: the data path keeps working without it, the
// plugin's STATUS says ipamd is down (51), and the restarted ipamd rebuilds
// from its checkpoint + IMDS + EC2: every live pod keeps its address (CHECK
// passes, connectivity holds), new pods never get a live pod's address, and
// old pods can still be deleted.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, createCluster, type Pod } from "../harness/index.ts";
import { agreesWithEc2, waitForPool } from "./lib/pool.ts";
import { pluginStatus } from "./lib/status.ts";
import { demoClusterOptions, e2eReady, NODES } from "./lib/world.ts";

interface AssignmentView {
  key: { containerId: string };
  ip: string;
}

describe.skipIf(!e2eReady)("e2e: ipamd restart (SIGKILL) with live pods", () => {
  let cluster: Cluster;
  const pods: Pod[] = []; // on node-1, spread over two ENIs (t3.medium: 5 per ENI)
  let peer: Pod; // on node-2

  beforeAll(async () => {
    const opts = demoClusterOptions();
    cluster = await createCluster({ ...opts, nodes: opts.nodes.filter((n) => n.name !== NODES.pd) });
    for (let i = 0; i < 7; i++)
      pods.push(await cluster.addPod(NODES.small, { namespace: "r", name: `r-${i}` }));
    peer = await cluster.addPod(NODES.full, { namespace: "r", name: "peer" });
  });

  afterAll(async () => {
    await cluster?.destroy();
  });

  it("while ipamd is dead, pods keep talking and STATUS answers 51", async () => {
    await cluster.killIpamd(NODES.small, "SIGKILL");
    for (const p of [pods[0]!, pods[6]!]) {
      expect(await cluster.ping(p, peer.ip, 2)).toBe(0);
      expect(await cluster.ping(peer, p.ip, 2)).toBe(0);
    }
    const s = await pluginStatus(cluster, NODES.small);
    expect(s.ok).toBe(false);
    if (!s.ok) expect(s.code).toBe(51);
  });

  it("after restart every live pod keeps its address; CHECK and pings pass", async () => {
    await cluster.startIpamd(NODES.small);
    const assignments = (await cluster.introspect(NODES.small, "/v1/assignments")) as AssignmentView[];
    const byContainer = new Map(assignments.map((a) => [a.key.containerId, a.ip]));
    for (const p of pods) expect(byContainer.get(p.containerId), p.name).toBe(p.ip);
    expect(assignments).toHaveLength(pods.length);
    for (const p of pods) await cluster.checkPod(p);
    for (const p of pods) expect(await cluster.ping(p, peer.ip, 1)).toBe(0);
    expect(await pluginStatus(cluster, NODES.small)).toEqual({ ok: true });
  });

  it("new pods after restart never get a live pod's address; old pods delete cleanly", async () => {
    const more: Pod[] = [];
    for (let i = 0; i < 3; i++)
      more.push(await cluster.addPod(NODES.small, { namespace: "r", name: `new-${i}` }));
    const live = new Set(pods.map((p) => p.ip));
    for (const m of more) expect(live.has(m.ip), m.ip).toBe(false);
    expect(new Set(more.map((m) => m.ip)).size).toBe(3);
    for (const m of more) expect(await cluster.ping(m, peer.ip, 1)).toBe(0);
    const old = pods.splice(0, 3);
    for (const p of old) await cluster.delPod(p);
    const v = await waitForPool(cluster, NODES.small, "ipamd and EC2 agree", agreesWithEc2);
    expect(v.assigned).toBe(pods.length + more.length);
    for (const p of pods) expect(await cluster.ping(p, peer.ip, 1)).toBe(0);
  });
});
