// Faults done to the cluster through the emulator's EC2 API, the way a person
// or another tool would do them behind ipamd's back. The emulator injects
// errors on these calls too, so each is retried (bounded).
import {
  CreateNetworkInterfaceCommand,
  DetachNetworkInterfaceCommand,
  type EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
  TerminateInstancesCommand,
  UnassignPrivateIpAddressesCommand,
} from "@aws-sdk/client-ec2";
import { TAG_CLUSTER_NAME, TAG_CREATED_AT, TAG_INSTANCE_ID } from "../../ipamd/executor/tags.ts";

/** EC2's answer for an address no longer on the ENI (ipamd released it first): retrying cannot help. */
export const isNotAssigned = (e: unknown) => e instanceof Error && e.name === "InvalidParameterValue";

async function retry<T>(
  what: string,
  f: () => Promise<T>,
  attempts = 10,
  fatal: (e: unknown) => boolean = () => false,
): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await f();
    } catch (e) {
      if (fatal(e)) throw e;
      last = e;
      await new Promise((r) => setTimeout(r, 100 * (i + 1)));
    }
  }
  throw new Error(`${what} failed ${attempts} times: ${String(last)}`);
}

export const detachEni = (ec2: EC2Client, attachmentId: string) =>
  retry("DetachNetworkInterface", () =>
    ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: attachmentId, Force: true })),
  );

/** Throws the EC2 error at once when the address is not on the ENI (isNotAssigned). */
export const unassignIp = (ec2: EC2Client, eniId: string, ip: string) =>
  retry(
    "UnassignPrivateIpAddresses",
    () =>
      ec2.send(
        new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: eniId, PrivateIpAddresses: [ip] }),
      ),
    10,
    isNotAssigned,
  );

/** Clears DeleteOnTermination: the node dies as if between attach and ipamd's ModifyNetworkInterfaceAttribute. */
export const keepOnTermination = (ec2: EC2Client, eniId: string, attachmentId: string) =>
  retry("ModifyNetworkInterfaceAttribute", () =>
    ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({
        NetworkInterfaceId: eniId,
        Attachment: { AttachmentId: attachmentId, DeleteOnTermination: false },
      }),
    ),
  );

export const terminate = (ec2: EC2Client, instanceId: string) =>
  retry("TerminateInstances", () => ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] })));

/**
 * Detached ENIs the leak cleaner must NEVER delete: untagged; tagged by another
 * cluster (old, CNI-made: otherwise eligible); tagged with this cluster but not
 * made by a CNI (no instance-id tag).
 */
export async function createDecoys(ec2: EC2Client, subnetId: string, clusterName: string): Promise<string[]> {
  const old = "2020-01-01T00:00:00Z";
  const specs: Record<string, string>[] = [
    {},
    {
      [TAG_CLUSTER_NAME]: `${clusterName}-other`,
      [TAG_INSTANCE_ID]: "i-0123456789abcdef0",
      [TAG_CREATED_AT]: old,
    },
    { [TAG_CLUSTER_NAME]: clusterName, [TAG_CREATED_AT]: old },
  ];
  const ids: string[] = [];
  for (const tags of specs) {
    const r = await retry("CreateNetworkInterface", () =>
      ec2.send(
        new CreateNetworkInterfaceCommand({
          SubnetId: subnetId,
          Description: "soak decoy",
          ...(Object.keys(tags).length > 0
            ? {
                TagSpecifications: [
                  {
                    ResourceType: "network-interface",
                    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
                  },
                ],
              }
            : {}),
        }),
      ),
    );
    const id = r.NetworkInterface?.NetworkInterfaceId;
    if (!id) throw new Error("CreateNetworkInterface returned no id");
    ids.push(id);
  }
  return ids;
}
