// A NodeIpamStatusInput as the daemon would fill it, for the tests.

import type { NodeIpamStatusInput } from "../../../ipamd/k8s/nodeipam-types.ts";

export function sampleInput(assigned: number, over: Partial<NodeIpamStatusInput> = {}): NodeIpamStatusInput {
  return {
    instanceType: "m5.large",
    enis: { attached: 2, max: 3 },
    addresses: { total: 18, assigned, available: 18 - assigned, cooldown: 0, max: 27 },
    prefixes: { attached: 0, delegation: false },
    maxPods: 29,
    subnets: [{ id: "subnet-0a1", nodeAddresses: 18, freeInSubnet: 200 }],
    ready: true,
    ...over,
  };
}
