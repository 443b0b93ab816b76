// The executor's port to the host side of an ENI (hostnet's setupEni and
// teardownEni over the node's namespace), so the executor is unit-testable
// and the daemon decides which namespace is "the host".
import { subnetGateway } from "../api/pod-spec.ts";
import type { EniInfo } from "../datastore/types.ts";
import { setupEni, teardownEni } from "../hostnet/eni-link.ts";
import type { HostNamespace } from "../hostnet/host-ns.ts";
import type { EniLinkSpec } from "../hostnet/types.ts";

export interface EniHost {
  /** Waits for the interface with the ENI's MAC, then up + route table + rule. Idempotent. */
  setup(eni: EniInfo): Promise<void>;
  /** Removes the ENI's rule and routes. Idempotent. */
  teardown(eni: EniInfo): Promise<void>;
}

export function eniLinkSpec(eni: EniInfo, mtu: number): EniLinkSpec {
  return {
    mac: eni.mac,
    deviceNumber: eni.deviceIndex,
    mtu,
    primaryIp: eni.primaryIp,
    subnetCidr: eni.subnetCidr,
    subnetGateway: subnetGateway(eni.subnetCidr),
  };
}

export function netlinkEniHost(ns: HostNamespace, mtu: number, waitMs = 30_000): EniHost {
  return {
    setup: async (eni) => {
      if (eni.primary) return; // the OS configured device 0; it uses the main table
      await setupEni(ns, eniLinkSpec(eni, mtu), waitMs);
    },
    teardown: async (eni) => {
      if (eni.primary) return;
      await teardownEni(ns, eniLinkSpec(eni, mtu));
    },
  };
}
