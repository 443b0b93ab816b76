// The demo's simulated cluster, also used by the e2e tests ("the same world").
//
// Three nodes of different instance types on two subnets; node-3 uses prefix
// delegation. Each node runs with a different kind of warm target so the pool
// behaviour of all three modes is visible:
//   node-1 t3.medium  10.0.1.0/24  WARM_IP_TARGET=2, MINIMUM_IP_TARGET=4  (3 ENIs x 5 = 15 pods)
//   node-2 m5.large   10.0.2.0/24  WARM_ENI_TARGET=1 (default)           (3 ENIs x 9 = 27 pods)
//   node-3 c5.xlarge  10.0.1.0/24  prefix delegation, WARM_PREFIX_TARGET=1 (/28s of 16)
// The exhaustion scenario uses node-2 (m5.large): 27 is the address count
// behind the well-known EKS max-pods figure of 29 for that type (3 x (10-1) + 2
// host-network pods), and filling it walks the pool through all three ENIs.
//
// Scale-down settings are shortened so releasing addresses takes seconds, not
// minutes (defaults: cooldown 30 s, min ENI age 60 s, scale-down interval 30 s).
import type { ClusterOptions, NodeSpec } from "../test/harness/index.ts";

export const FAST_POOL_ENV: Record<string, string> = {
  VPC_CNI_IP_COOLDOWN_SECONDS: "1",
  VPC_CNI_MIN_ENI_AGE_SECONDS: "1",
  VPC_CNI_SCALE_DOWN_INTERVAL_SECONDS: "1",
  VPC_CNI_RECONCILE_INTERVAL_SECONDS: "5",
  // NodeIPAM status is coalesced to one write per interval; the demo wants it within a second.
  VPC_CNI_STATUS_INTERVAL_SECONDS: "1",
};

export const NODES = {
  small: "node-1",
  full: "node-2",
  pd: "node-3",
} as const;

export const DEMO_NODES: NodeSpec[] = [
  {
    name: NODES.small,
    instanceType: "t3.medium",
    subnet: 0,
    env: { WARM_IP_TARGET: "2", MINIMUM_IP_TARGET: "4" },
  },
  { name: NODES.full, instanceType: "m5.large", subnet: 1, env: { WARM_ENI_TARGET: "1" } },
  {
    name: NODES.pd,
    instanceType: "c5.xlarge",
    subnet: 0,
    prefixDelegation: true,
    env: { WARM_PREFIX_TARGET: "1" },
  },
];

export function demoClusterOptions(over: Partial<ClusterOptions> = {}): ClusterOptions {
  return {
    nodes: DEMO_NODES,
    // Emulator delays (ENI attach 2 s, API latency) x 0.05: an attach takes ~100 ms.
    timeScale: 0.05,
    env: FAST_POOL_ENV,
    // STATUS is a CNI 1.1.0 verb: the conflist must say 1.1.0 for the runtime to call it.
    cniVersion: "1.1.0",
    // The stand-in kube-apiserver (test/support/fake-apiserver): ipamd publishes
    // NodeIPAM status, the IPAMExhausted condition and Events, as in a cluster.
    kubernetes: true,
    ...over,
  };
}
