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

/** m5.large: 3 ENIs x 10 addresses (9 for pods). */
export const M5_LARGE: InstanceLimits = {
  instanceType: "m5.large",
  maxEnis: 3,
  ipv4PerEni: 10,
  prefixDelegation: true,
  hypervisor: "nitro",
  bareMetal: false,
};

/** The pool state a default ipamd starts with (WARM_ENI_TARGET=1) on `limits`. */
export function defaultPoolState(limits: InstanceLimits): PoolState {
  return {
    settings: toPoolSettings(parseSettings({})),
    limits,
    subnet: { id: "subnet-a", securityGroupIds: ["sg-1"] },
    podsOnPrimaryEni: true,
    pendingDemand: 0,
    lastScaleDownMs: 0,
  };
}

/** Gives `count` pods (containers c0, c1, ...) an address each; throws if one finds none. */
export function assignPods(ds: Datastore, count: number): void {
  for (let n = 0; n < count; n++) {
    const r = ds.assign(
      {
        key: { network: "vpc", containerId: `c${n}`, ifName: "eth0" },
        pod: { namespace: "default", name: `p${n}` },
        netns: `/var/run/netns/p${n}`,
        hostVeth: `eni${n}`,
      },
      NOW,
    );
    if (!r.ok) throw new Error("setup: assign failed");
  }
}

/**
 * `executor` needs only `apply` (and `settleLater` when the loop defers work).
 * `extra` replaces any other dependency (a resync's `observe`, `host`, the `state`).
 */
export function testPoolLoop(
  ds: Datastore,
  limits: InstanceLimits,
  executor: Partial<Executor>,
  extra: Partial<PoolLoopDeps> = {},
): PoolLoop {
  const state = defaultPoolState(limits);
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
