// Shared by the tests that change EC2 behind ipamd's back (eni-vanished,
// address-moved): one m5.large node (9 pod addresses per ENI) whose minimum
// target holds secondary ENIs, a resync every 5 s, and what they poll.
import { type Cluster, createCluster } from "../../harness/index.ts";
import { until as poll } from "../../support/until.ts";

export function behindBackCluster(minimumIpTarget: number): Promise<Cluster> {
  return createCluster({
    nodes: [{ name: "a", instanceType: "m5.large" }],
    timeScale: 0.01,
    env: {
      MINIMUM_IP_TARGET: String(minimumIpTarget),
      WARM_IP_TARGET: "1",
      VPC_CNI_RECONCILE_INTERVAL_SECONDS: "5",
      VPC_CNI_MIN_ENI_AGE_SECONDS: "0",
    },
  });
}

/** `ip -4 rule show` on node a. */
export async function nodeRules(c: Cluster): Promise<string> {
  return (await c.exec("a", ["ip", "-4", "rule", "show"])).stdout;
}

/** Polls every 200 ms, 40 s by default (a resync every 5 s, EC2 at timeScale 0.01). */
export const until = <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 40_000) =>
  poll(what, fn, timeoutMs, 200);
