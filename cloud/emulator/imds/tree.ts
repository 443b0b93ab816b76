// The instance metadata tree of one instance, built from live EC2 state, and
// path resolution with IMDS's listing rules (directories list their entries,
// sub-directories with a trailing slash). Pure given the world.

import { formatCidr, formatIpv4 } from "../rules/ipv4.ts";
import type { InstanceRec } from "../state/model.ts";
import { prefixText } from "../state/views.ts";
import type { World } from "../state/world.ts";

export type ImdsTree = { [name: string]: string | ImdsTree };

function hostname(ip: number): string {
  return `ip-${formatIpv4(ip).replace(/\./g, "-")}.ec2.internal`;
}

export function instanceTree(world: World, inst: InstanceRec): ImdsTree {
  const macs: ImdsTree = {};
  // An ENI shows up once its attachment is "attached" (and until it is gone).
  const visible = world
    .enisOf(inst.id)
    .filter((e) => e.attachment!.status === "attached" || e.attachment!.status === "detaching");
  for (const eni of visible) {
    const subnet = world.subnet(eni.subnetId);
    const vpc = world.vpc(eni.vpcId);
    const entry: ImdsTree = {
      "device-number": String(eni.attachment!.deviceIndex),
      "network-card": String(eni.attachment!.networkCardIndex),
      "interface-id": eni.id,
      "local-hostname": hostname(eni.primaryIp),
      "local-ipv4s": [eni.primaryIp, ...eni.secondaryIps].map(formatIpv4).join("\n"),
      mac: eni.mac,
      "owner-id": world.config.accountId,
      "security-group-ids": eni.securityGroupIds.join("\n"),
      "subnet-id": subnet.id,
      "subnet-ipv4-cidr-block": formatCidr(subnet.cidr),
      "vpc-id": vpc.id,
      "vpc-ipv4-cidr-block": formatCidr(vpc.cidr),
      "vpc-ipv4-cidr-blocks": formatCidr(vpc.cidr),
    };
    // AWS answers 404 for ipv4-prefix when the ENI has none: the key is absent.
    if (eni.prefixes.length > 0) entry["ipv4-prefix"] = eni.prefixes.map(prefixText).join("\n");
    macs[eni.mac] = entry;
  }
  const primary = world.enis.get(inst.primaryEniId);
  return {
    "meta-data": {
      "ami-id": inst.imageId,
      hostname: hostname(inst.primaryIp),
      "instance-id": inst.id,
      "instance-type": inst.type.instanceType,
      "local-hostname": hostname(inst.primaryIp),
      "local-ipv4": formatIpv4(inst.primaryIp),
      mac: primary?.mac ?? "",
      placement: {
        "availability-zone": inst.availabilityZone,
        region: world.config.region,
      },
      network: { interfaces: { macs } },
    },
    dynamic: {
      "instance-identity": {
        document: JSON.stringify(
          {
            accountId: world.config.accountId,
            architecture: "x86_64",
            availabilityZone: inst.availabilityZone,
            imageId: inst.imageId,
            instanceId: inst.id,
            instanceType: inst.type.instanceType,
            pendingTime: inst.launchTime.toISOString(),
            privateIp: formatIpv4(inst.primaryIp),
            region: world.config.region,
            version: "2017-09-30",
          },
          null,
          2,
        ),
      },
    },
  };
}

/** The text at `path` ("meta-data/network/interfaces/macs/"), or undefined for 404. */
export function resolveImdsPath(tree: ImdsTree, path: string): string | undefined {
  const parts = path.split("/").filter((p) => p !== "");
  let at: string | ImdsTree = tree;
  for (const p of parts) {
    if (typeof at === "string") return undefined;
    const nextNode: string | ImdsTree | undefined = at[p];
    if (nextNode === undefined) return undefined;
    at = nextNode;
  }
  if (typeof at === "string") return at;
  return Object.entries(at)
    .map(([k, v]) => (typeof v === "string" ? k : `${k}/`))
    .join("\n");
}
