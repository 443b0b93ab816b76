// A PoolLoop over a real Datastore and a fake executor, for unit tests of the
// loop's demand and exhaustion rules: default settings (WARM_ENI_TARGET=1), a
// fixed clock, no resync, no host.

import type { InstanceLimits } from "../../../cloud/limits/types.ts";
import { parseSettings, toPoolSettings } from "../../../ipamd/config/settings.ts";
import type { Datastore } from "../../../ipamd/datastore/datastore.ts";
import type { EniHost } from "../../../ipamd/executor/eni-host.ts";
import type { Executor } from "../../../ipamd/executor/executor.ts";
import type { PoolState } from "../../../ipamd/executor/input.ts";
import { PoolLoop, type PoolLoopDeps } from "../../../ipamd/executor/pool-loop.ts";
import { silentLogger } from "../../../ipamd/log.ts";
import { IpamdMetrics } from "../../../ipamd/metrics/metrics.ts";

export const NOW = 1_000_000;

/** `executor` needs only `apply` (and `settleLater` when the loop defers work). */
export function testPoolLoop(
  ds: Datastore,
  limits: InstanceLimits,
  executor: Partial<Executor>,
  extra: Pick<PoolLoopDeps, "scheduledDemand"> = {},
): PoolLoop {
  const state: PoolState = {
    settings: toPoolSettings(parseSettings({})),
    limits,
    subnet: { id: "subnet-a", securityGroupIds: ["sg-1"] },
    podsOnPrimaryEni: true,
    pendingDemand: 0,
    lastScaleDownMs: 0,
  };
  return new PoolLoop({
    ds,
    executor: { settleLater: async () => undefined, ...executor } as unknown as Executor,
    host: {} as EniHost,
    ec2: { describeSubnets: async () => [] },
    observe: async () => {
      throw new Error("no resync in this test");
    },
    state,
    provisioning: true,
    instanceId: "i-0abc",
    intervalMs: 60_000,
    metrics: new IpamdMetrics(() => NOW),
    log: silentLogger(),
    now: () => NOW,
    ...extra,
  });
}
