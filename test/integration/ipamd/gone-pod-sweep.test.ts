// Soak gap B: a DEL that never reached ipamd. With ipamd down the plugin's DEL
// succeeds on its own (CNI: DEL must succeed) and the runtime deletes the
// netns; the address stays assigned in ipamd's checkpoint. Once ipamd is
// back, its gone-pod sweep must release it (same path as a CNI DEL) within
// the grace, and must never release a pod whose netns still exists, even
// with its veth gone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GONE_POD_GRACE_MS, GONE_POD_SWEEP_INTERVAL_MS } from "../../../ipamd/recovery/gone-pods.ts";
import { type Cluster, createCluster, type Pod } from "../../harness/index.ts";
import { canUseNetns } from "../../support/privileges.ts";

interface Held {
  ip: string;
  hostVeth: string;
}

describe.skipIf(!canUseNetns)("gone-pod sweep (DEL while ipamd was down)", () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await createCluster({
      nodes: [{ name: "a", instanceType: "t3.medium" }],
      timeScale: 0.01,
      env: { VPC_CNI_IP_COOLDOWN_SECONDS: "1", WARM_IP_TARGET: "2" },
    });
  });
  afterAll(async () => {
    await c?.destroy();
  });

  const held = async () => (await c.introspect("a", "/v1/assignments")) as Held[];
  const rules = async () => (await c.exec("a", ["ip", "-4", "rule", "show"])).stdout;

  it("releases the address of a pod deleted while ipamd was down, never a pod whose netns exists", async () => {
    const gone: Pod = await c.addPod("a", { namespace: "default", name: "gone" });
    const kept: Pod = await c.addPod("a", { namespace: "default", name: "kept" });
    const keptVeth = (await held()).find((h) => h.ip === kept.ip)?.hostVeth;
    expect(keptVeth).toBeDefined();
    await c.killIpamd("a", "SIGKILL");
    // ipamd down: the plugin's DEL fallback removes the veth, the runtime the netns.
    await c.delPod(gone);
    // The other pod loses its veth (someone deleted it) but its netns stays.
    const del = await c.exec("a", ["ip", "link", "del", keptVeth!]);
    expect(del.code).toBe(0);
    expect(await rules()).toContain(`to ${gone.ip} `); // the fallback leaves the rules

    await c.startIpamd("a");
    const t0 = Date.now();
    expect((await held()).map((h) => h.ip)).toContain(gone.ip); // the checkpoint kept it
    const bound = GONE_POD_GRACE_MS + 2 * GONE_POD_SWEEP_INTERVAL_MS + 2_000;
    while ((await held()).some((h) => h.ip === gone.ip)) {
      expect(Date.now() - t0, "released within the grace (+ sweep interval)").toBeLessThan(bound);
      await new Promise((r) => setTimeout(r, 250));
    }
    // Released through the DEL path: its host rules are gone too.
    expect(await rules()).not.toContain(`from ${gone.ip} `);
    expect(await rules()).not.toContain(`to ${gone.ip} `);
    // A full grace later the pod whose netns exists still holds its address.
    await new Promise((r) => setTimeout(r, GONE_POD_GRACE_MS + 2 * GONE_POD_SWEEP_INTERVAL_MS));
    expect((await held()).map((h) => h.ip)).toContain(kept.ip);
    expect(await c.metrics("a")).toMatch(/^vpccni_gone_pods_released_total 1$/m);
    await c.delPod(kept);
    expect((await held()).length).toBe(0);
  }, 120_000);
});
