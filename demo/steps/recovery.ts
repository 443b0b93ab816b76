// Scale-down after exhaustion: delete the fill pods and watch every node's
// pool settle back on its warm targets (short cooldown / min ENI age /
// scale-down interval, printed), then the pod that was refused fits again.
import { oneShotRuntime } from "../../test/e2e/lib/one-shot.ts";
import { agreesWithEc2, describePool, waitForPool } from "../../test/e2e/lib/pool.ts";
import { describeTargets, settledOnTargets, targetsOf } from "../../test/e2e/lib/targets.ts";
import { FAST_POOL_ENV, NODES } from "../world.ts";
import { FILL } from "./exhaustion.ts";
import type { DemoContext, Step } from "./types.ts";

export const deleteAndSettle: Step = {
  title: `delete the fill pods; every node's pool returns to its targets`,
  async run(ctx: DemoContext) {
    ctx.note(
      `settings: ${Object.entries(FAST_POOL_ENV)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ")}`,
    );
    const fill = [...ctx.pods.values()].filter((p) => p.namespace === FILL);
    for (const p of fill) {
      await ctx.cluster.delPod(p);
      ctx.pods.delete(p.name);
    }
    for (const n of ctx.cluster.nodes) {
      const t = targetsOf(n);
      const v = await waitForPool(
        ctx.cluster,
        n.name,
        `targets ${describeTargets(t)} (and EC2 agreeing)`,
        (x) => settledOnTargets(t, x) && agreesWithEc2(x),
        30_000,
      );
      ctx.note(`${n.name} ${describeTargets(t)}: ${describePool(v)}`);
    }
    return `${fill.length} pods deleted, 3 pools settled`;
  },
};

export const addAfterRecovery: Step = {
  title: `the refused pod now fits on ${NODES.full}`,
  async run(ctx: DemoContext) {
    const once = oneShotRuntime(ctx.cluster);
    try {
      const p = await once.add(NODES.full, { namespace: FILL, name: "one-too-many" });
      return `ADD ok: ${p.ip} in ${p.addMs.toFixed(0)} ms (first attempt)`;
    } finally {
      await once.close();
    }
  },
};
