// Exhaustion at exactly the instance limit, as a user meets it, and recovery:
// an m5.large holds 3 ENIs x (10 - 1) = 27 pod addresses. 27 pods get one;
// the 28th ADD (one attempt, no kubelet retry) fails with CNI error 11 and a
// message with the numbers; STATUS keeps the node Ready while ipamd's
// answer carries the numbers; the gauges agree; after pods
// are deleted the pool settles back on its target and the refused pod fits.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, CniRunError, createCluster, type Pod } from "../harness/index.ts";
import { fillNode } from "./lib/fill.ts";
import { type OneShot, oneShotRuntime } from "./lib/one-shot.ts";
import { agreesWithEc2, poolView, waitForPool } from "./lib/pool.ts";
import { ipamdStatus, pluginStatus } from "./lib/status.ts";
import { settledOnTargets, targetsOf } from "./lib/targets.ts";
import { demoClusterOptions, e2eReady, NODES } from "./lib/world.ts";

describe.skipIf(!e2eReady)("e2e: m5.large exhaustion at 27 pod addresses and recovery", () => {
  let cluster: Cluster;
  let once: OneShot;
  let pods: Pod[] = [];

  beforeAll(async () => {
    // Only the node under test: the others would just share the CPU.
    const opts = demoClusterOptions();
    cluster = await createCluster({ ...opts, nodes: opts.nodes.filter((n) => n.name === NODES.full) });
    once = oneShotRuntime(cluster);
  });

  afterAll(async () => {
    await once?.close();
    await cluster?.destroy();
  });

  it("ipamd reports the instance limit: 3 ENIs, 27 pod addresses, kubelet max-pods 29", async () => {
    const v = await poolView(cluster, NODES.full);
    expect(v.instanceType).toBe("m5.large");
    expect(v.maxEnis).toBe(3);
    expect(v.perEni).toBe(9);
    expect(v.maxAddresses).toBe(27);
    expect(v.maxPods).toBe(29);
  });

  it("27 pods get 27 distinct addresses on all 3 ENIs; EC2 agrees", async () => {
    pods = (await fillNode(cluster, NODES.full, "p")).pods;
    expect(pods).toHaveLength(27);
    expect(new Set(pods.map((p) => p.ip)).size).toBe(27);
    const v = await waitForPool(
      cluster,
      NODES.full,
      "3 ENIs, 27 held",
      (x) => x.enis === 3 && x.total === 27,
    );
    expect(v.assigned).toBe(27);
    expect(v.available).toBe(0);
    expect(v.ec2).toEqual({ enis: 3, total: 27 });
  });

  it("the 28th ADD fails with code 11 and a message with the numbers", async () => {
    const e = await once.add(NODES.full, { namespace: "e2e", name: "p-28" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CniRunError);
    const err = e as CniRunError;
    expect(err.code).toBe(11);
    expect(err.message).toContain("27 of its 27");
    expect(err.message).toContain("3 ENIs × 9");
    expect(err.message).toContain("m5.large");
    // The failed sandbox left nothing: still 27 assigned.
    expect((await poolView(cluster, NODES.full)).assigned).toBe(27);
  });

  it("STATUS: the plugin answers 0 on a full node (stays Ready); ipamd's answer has the numbers; gauges agree", async () => {
    // By design (cni/plugin.ts cmdStatus): a failed STATUS would make the node NotReady
    // and evict its healthy pods; 50 is kept for "not ready" / "holds no address".
    expect(await pluginStatus(cluster, NODES.full)).toEqual({ ok: true });
    const st = await ipamdStatus(cluster, NODES.full);
    expect(st).toMatchObject({ ready: true, available: 0, assigned: 27 });
    expect(st.reason).toContain("27 of its 27");
    const m = await cluster.metrics(NODES.full);
    expect(m).toMatch(/^vpccni_addresses_assigned 27$/m);
    expect(m).toMatch(/^vpccni_addresses_available 0$/m);
    expect(m).toMatch(/^vpccni_enis_attached 3$/m);
    expect(m).toMatch(/^vpccni_addresses_max 27$/m);
    expect(m).toMatch(/^vpccni_max_pods 29$/m);
  });

  it("after deleting pods the pool settles back on WARM_ENI_TARGET and the 28th pod fits", async () => {
    const keep = pods.slice(0, 1);
    for (const p of pods.slice(1)) await cluster.delPod(p);
    pods = keep;
    const t = targetsOf(cluster.node(NODES.full));
    const v = await waitForPool(
      cluster,
      NODES.full,
      "settled on WARM_ENI_TARGET=1",
      (x) => settledOnTargets(t, x) && agreesWithEc2(x),
      30_000,
    );
    // 1 pod + one ENI's worth (9) free needs 2 ENIs; the third was deleted.
    expect(v.enis).toBe(2);
    expect(v.assigned).toBe(1);
    expect(v.available).toBeGreaterThanOrEqual(9);
    const p = await once.add(NODES.full, { namespace: "e2e", name: "p-28" });
    expect(await cluster.ping(p, pods[0]!.ip)).toBe(0);
    await once.del(p);
  });
});
