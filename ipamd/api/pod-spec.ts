// Pure translations between the datastore's view and hostnet/protocol shapes.
import { intToIp, ipToInt } from "../datastore/addr.ts";
import type { Assignment, EniInfo } from "../datastore/types.ts";
import { hostVethName } from "../hostnet/naming.ts";
import type { PodLinks, PodNetworkSpec } from "../hostnet/types.ts";
import type { AddResult, AttachmentKey, LinkOptions, PodRef } from "./protocol.ts";

export const POD_GATEWAY = "169.254.1.1";
export const MAIN_TABLE = 254;

/** The VPC router answers on the subnet's first usable address (network + 1). */
export function subnetGateway(cidr: string): string {
  const [base, len] = cidr.split("/");
  const bits = Number(len);
  if (base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 30) {
    throw new Error(`not an IPv4 subnet: ${JSON.stringify(cidr)}`);
  }
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return intToIp(((ipToInt(base) & mask) >>> 0) + 1);
}

/** Route table of the ENI owning a pod's address: main for the primary ENI, else device + 1. */
export function routeTableOf(eni: Pick<EniInfo, "primary" | "deviceIndex">): number {
  return eni.primary ? MAIN_TABLE : eni.deviceIndex + 1;
}

/**
 * Pod address -> the table its from-rule must name (undefined: primary ENI,
 * no rule), for these assignments; one whose ENI is unknown is left out (an
 * orphan: nothing to point at).
 */
export function podRuleTables(
  assignments: readonly Pick<Assignment, "ip" | "eniId">[],
  eniOf: (id: string) => Pick<EniInfo, "primary" | "deviceIndex"> | undefined,
): Map<string, number | undefined> {
  const want = new Map<string, number | undefined>();
  for (const a of assignments) {
    const eni = eniOf(a.eniId);
    if (eni !== undefined) want.set(a.ip, eni.primary ? undefined : routeTableOf(eni));
  }
  return want;
}

/**
 * The host veth name. Kubernetes pods: AWS VPC CNI's scheme over
 * "<namespace>.<name>". Runtimes without pod metadata: the container id
 * stands in, so two such containers never share a name.
 */
export function vethNameFor(prefix: string, pod: PodRef, key: AttachmentKey): string {
  if (pod.namespace !== "" || pod.name !== "") return hostVethName(prefix, pod.namespace, pod.name);
  return hostVethName(prefix, "container", key.containerId);
}

/**
 * `eniTableDestinations`: with SNAT on the node (AWS_VPC_K8S_CNI_EXTERNALSNAT
 * false), a pod on a secondary ENI uses its ENI's table only towards these
 * CIDRs (the VPC's and the SNAT-excluded ones), as the AWS VPC CNI's
 * "from <pod> to <VPC CIDR> lookup <table>" rules; anything else leaves by the
 * main table, the primary ENI, where it is SNATed to the node's address.
 * Undefined (external SNAT): one rule for every destination.
 */
export function podSpec(
  a: Pick<Assignment, "ip" | "netns" | "hostVeth" | "key">,
  eni: Pick<EniInfo, "primary" | "deviceIndex"> | undefined,
  mtu: number,
  eniTableDestinations?: readonly string[],
): PodNetworkSpec {
  const spec: PodNetworkSpec = {
    netnsPath: a.netns,
    ifName: a.key.ifName,
    hostVethName: a.hostVeth,
    podIp: a.ip,
    mtu,
  };
  if (eni !== undefined && !eni.primary) {
    spec.eniTable = routeTableOf(eni);
    if (eniTableDestinations !== undefined && eniTableDestinations.length > 0)
      spec.eniTableDestinations = [...eniTableDestinations];
  }
  return spec;
}

export function addResult(a: Assignment, eni: EniInfo, link: LinkOptions, links: PodLinks): AddResult {
  return {
    ip: a.ip,
    eniId: eni.id,
    routeTable: routeTableOf(eni),
    subnetGateway: subnetGateway(eni.subnetCidr),
    podGateway: POD_GATEWAY,
    mtu: link.mtu,
    hostInterface: links.hostInterface,
    podInterface: links.podInterface,
  };
}
