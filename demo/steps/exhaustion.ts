// Exhaustion as a user meets it on node-2 (m5.large, 27 pod addresses):
// fill the node, then one more pod's ADD (a single attempt, as in the pod's
// events) fails with CNI error 11 and numbers; STATUS shows the numbers while
// keeping the node Ready; the Prometheus gauges show it.

import { fillNode } from "../../test/e2e/lib/fill.ts";
import { oneShotRuntime } from "../../test/e2e/lib/one-shot.ts";
import { describePool, poolView, waitForPool } from "../../test/e2e/lib/pool.ts";
import { ipamdStatus, pluginStatus } from "../../test/e2e/lib/status.ts";
import { CniRunError } from "../../test/harness/index.ts";
import { NODES } from "../world.ts";
import type { DemoContext, Step } from "./types.ts";

/** Name prefix of the fill step's pods (in ctx.pods), for the recovery step. */
export const FILL = "fill";

export const fillToLimit: Step = {
  title: `fill ${NODES.full} up to its instance limit`,
  async run(ctx: DemoContext) {
    const r = await fillNode(ctx.cluster, NODES.full, FILL);
    for (const p of r.pods) ctx.pods.set(p.name, p);
    const v = await waitForPool(
      ctx.cluster,
      NODES.full,
      "all ENIs attached and every address assigned",
      (x) => x.enis === x.maxEnis && x.assigned === x.maxAddresses && x.total === x.maxAddresses,
    );
    return `${r.pods.length} more pods: ${describePool(v)}`;
  },
};

export const addAtLimitFails: Step = {
  title: "one more pod: ADD fails with CNI error 11 and the numbers",
  async run(ctx: DemoContext) {
    const limit = (await poolView(ctx.cluster, NODES.full)).maxAddresses;
    const once = oneShotRuntime(ctx.cluster);
    try {
      const p = await once
        .add(NODES.full, { namespace: FILL, name: "one-too-many" })
        .catch((e: unknown) => e);
      if (!(p instanceof CniRunError))
        throw new Error(`ADD #${limit + 1} did not fail: ${JSON.stringify(p)}`);
      ctx.note(p.message);
      if (p.code !== 11) throw new Error(`code ${p.code}, want 11`);
      const want = `${limit} of its ${limit}`;
      if (!p.message.includes(want)) throw new Error(`message lacks "${want}"`);
      return `code 11, "${want}"`;
    } finally {
      await once.close();
    }
  },
};

export const statusAtLimit: Step = {
  // A full node still answers STATUS 0 (cni/plugin.ts cmdStatus): a failed STATUS
  // makes the runtime report NetworkReady=false, the node NotReady, and taint-based
  // eviction would then remove its healthy pods. ipamd's answer carries the numbers.
  title: "STATUS: the plugin keeps the full node Ready; ipamd's answer says why ADDs wait",
  async run(ctx: DemoContext) {
    const s = await pluginStatus(ctx.cluster, NODES.full);
    if (!s.ok) throw new Error(`STATUS failed on a full node (would make it NotReady): ${s.msg}`);
    const st = await ipamdStatus(ctx.cluster, NODES.full);
    ctx.note(`plugin STATUS: exit 0 (node Ready, running pods stay)`);
    ctx.note(`ipamd STATUS: ready=${st.ready} available=${st.available} assigned=${st.assigned}`);
    ctx.note(`reason: ${st.reason}`);
    if (st.available !== 0) throw new Error(`ipamd STATUS says ${st.available} available on a full node`);
    if (!st.reason?.includes("of its")) throw new Error("ipamd STATUS gives no reason with numbers");
    return `plugin 0, ipamd available=0 assigned=${st.assigned}`;
  },
};

export const metricsAtLimit: Step = {
  title: "ipamd's Prometheus metrics show the exhaustion",
  async run(ctx: DemoContext) {
    const limit = (await poolView(ctx.cluster, NODES.full)).maxAddresses;
    const text = await ctx.cluster.metrics(NODES.full);
    const lines = text.split("\n").filter((l) => /^vpccni_(addresses_|enis_|max_pods|pool_deficit)/.test(l));
    for (const l of lines) ctx.note(l);
    const val = (name: string) => Number(lines.find((l) => l.startsWith(`${name} `))?.split(" ")[1]);
    if (val("vpccni_addresses_available") !== 0) throw new Error("vpccni_addresses_available is not 0");
    if (val("vpccni_addresses_assigned") !== limit)
      throw new Error(`vpccni_addresses_assigned is not ${limit}`);
    if (val("vpccni_enis_attached") !== val("vpccni_enis_max")) throw new Error("enis_attached != enis_max");
    if (val("vpccni_addresses_max") !== limit) throw new Error(`vpccni_addresses_max is not ${limit}`);
    return `assigned ${limit} = addresses_max ${val("vpccni_addresses_max")} (kubelet max_pods ${val("vpccni_max_pods")}), available 0, ENIs ${val("vpccni_enis_attached")}/${val("vpccni_enis_max")}`;
  },
};
