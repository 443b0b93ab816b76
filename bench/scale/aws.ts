// The AWS VPC CNI's default policy (WARM_ENI_TARGET=1) as a call-pattern
// model, from aws/amazon-vpc-cni-k8s (pkg/awsutils/awsutils.go, awssession):
//  - EC2 client: SDK v2 standard retryer, RetryMaxAttempts 10, exponential
//    jitter back-off rand * 2^attempt s capped at 20 s (modelled with our
//    retry runner: base 2 s, max 20 s); no client-side rate limiter (none in
//    its source). NOT modelled: the SDK's retry-quota bucket (500 tokens).
//  - start-up: DescribeNetworkInterfaces of the instance's ENIs;
//  - pool manager tick every 5 s (ipPoolMonitorInterval) while the pool is
//    too low (available < 1 x IPs per ENI, isDatastorePoolTooLow; the
//    join-time pods take addresses as soon as there are any): fill the primary ENI (one AssignPrivateIpAddresses for all its
//    free slots), then AllocENI: CreateNetworkInterface carrying its IPs
//    (createENI numIPs -> SecondaryPrivateIpAddressCount), DescribeInstances
//    (awsGetFreeDeviceNumber), AttachNetworkInterface (delete the ENI if that
//    fails), ModifyNetworkInterfaceAttribute DeleteOnTermination (free the ENI
//    if that fails), then wait for the ENI in IMDS. Any failure ends the tick.
// Older releases created the ENI bare and assigned its IPs in a separate
// AssignPrivateIpAddresses; the current source batches them into the create.
import { createEc2Client } from "../../cloud/ec2/client.ts";
import type { Ec2CallRecord } from "../../cloud/ec2/types.ts";
import { createImdsClient } from "../../cloud/imds/client.ts";
import { INSTANCE_TYPES } from "../../cloud/limits/instance-types.ts";
import { instanceLimits } from "../../cloud/limits/limits.ts";
import { IMDS_POLL_MS, PODS_AT_JOIN, type SimPolicyNode } from "./node.ts";
import { simRequestTimeoutMs } from "./time.ts";
import type { SimNode } from "./world.ts";

const TICK_MS = 5_000;

export function awsNode(
  n: SimNode,
  ctx: {
    endpoint: string;
    region: string;
    instanceType: string;
    s: number;
    onCall: (r: Ec2CallRecord) => void;
  },
): SimPolicyNode {
  const ec2 = createEc2Client({
    endpoint: ctx.endpoint,
    region: ctx.region,
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
    requestTimeoutMs: simRequestTimeoutMs(ctx.s),
    rateLimits: false,
    retry: {
      maxAttempts: 10,
      baseDelayMs: 2000 * ctx.s,
      throttleBaseDelayMs: 2000 * ctx.s,
      maxDelayMs: 20_000 * ctx.s,
    },
    onCall: ctx.onCall,
  });
  const imds = createImdsClient({ endpoint: n.imdsEndpoint });
  const slots = instanceLimits(INSTANCE_TYPES[ctx.instanceType]!).ipv4PerEni - 1;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms * ctx.s));
  let primaryIps = 0;
  let warmEni = false;
  const total = () => primaryIps + (warmEni ? slots : 0);
  const poolMet = () => total() - Math.min(PODS_AT_JOIN, total()) >= slots;
  let stopped = false;
  let loop: Promise<void> | undefined;

  async function allocEni(): Promise<void> {
    const eni = await ec2.createNetworkInterface({
      subnetId: n.subnetId,
      securityGroupIds: n.securityGroupIds,
      description: `aws-K8S-${n.instanceId}`,
      secondaryIpCount: slots,
      tags: { "node.k8s.amazonaws.com/instance_id": n.instanceId },
    });
    await ec2.describeInstances([n.instanceId]); // awsGetFreeDeviceNumber
    let attachmentId: string;
    try {
      ({ attachmentId } = await ec2.attachNetworkInterface({
        eniId: eni.id,
        instanceId: n.instanceId,
        deviceIndex: 1,
      }));
    } catch (e) {
      await ec2.deleteNetworkInterface(eni.id).catch(() => undefined);
      throw e;
    }
    try {
      await ec2.setDeleteOnTermination({ eniId: eni.id, attachmentId, value: true });
    } catch (e) {
      await ec2.detachNetworkInterface({ attachmentId }).catch(() => undefined);
      await sleep(2000);
      await ec2.deleteNetworkInterface(eni.id).catch(() => undefined);
      throw e;
    }
    for (let i = 0; i < 30; i++) {
      if ((await imds.enis()).some((x) => x.interfaceId === eni.id)) {
        warmEni = true;
        return;
      }
      await sleep(IMDS_POLL_MS); // see IMDS_POLL_MS
    }
    throw new Error(`ENI ${eni.id} never showed in IMDS`);
  }

  async function tick(): Promise<void> {
    if (primaryIps < slots) {
      const r = await ec2.assignPrivateIpAddresses({ eniId: n.primary.id, ipCount: slots - primaryIps });
      primaryIps += r.ips.length;
    }
    if (!poolMet() && !warmEni) await allocEni();
  }

  return {
    start: () => {
      loop = (async () => {
        await ec2.describeNetworkInterfaces({ ids: [n.primary.id] }).catch(() => undefined);
        while (!stopped && !poolMet()) {
          await tick().catch(() => undefined);
          if (!poolMet()) await sleep(TICK_MS);
        }
      })();
    },
    ready: () => poolMet(),
    waitingPods: () => PODS_AT_JOIN - Math.min(PODS_AT_JOIN, total()),
    stop: async () => {
      stopped = true;
      await loop;
      ec2.close();
    },
  };
}
