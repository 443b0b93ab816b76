// Where the contract suite runs: our own emulator (default, started in
// process), or an external endpoint named by EC2_ENDPOINT (LocalStack). The
// capability list below is the ONE place that says what each target is
// known to support; cases needing a missing capability skip with a printed reason.

import {
  type _InstanceType,
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { type Emulator, type EmulatorOptions, startEmulator } from "../../../cloud/emulator/index.ts";

export type Capability =
  | "limits" // AttachmentLimitExceeded / PrivateIpAddressLimitExceeded per instance type
  | "subnetFull" // InsufficientFreeAddressesInSubnet / InsufficientCidrBlocks
  | "throttling" // RequestLimitExceeded from token buckets
  | "faults" // injectable InternalError / Unavailable
  | "pagination" // MaxResults + NextToken
  | "prefixes" // Ipv4PrefixCount really delegates /28s
  | "imds" // per-instance IMDSv2 with network/interfaces/macs
  | "unauthorized"; // UnauthorizedOperation / AuthFailure on demand

export type Capabilities = Record<Capability, string | true>;

/** `true` = supported; a string = why not (printed when the case is skipped). */
export const CAPABILITIES: Readonly<Record<"emulator" | "external", Capabilities>> = {
  emulator: {
    limits: true,
    subnetFull: true,
    throttling: true,
    faults: true,
    pagination: true,
    prefixes: true,
    imds: true,
    unauthorized: true,
  },
  // LocalStack's EC2 is moto (PLATFORM.md).
  external: {
    limits: "moto enforces no per-instance ENI or IP limits",
    subnetFull: "moto never runs a subnet out of addresses",
    throttling: "moto never throttles",
    faults: "no fault injection on an external endpoint",
    pagination: "moto ignores MaxResults and sends no NextToken",
    prefixes: "moto accepts Ipv4PrefixCount and ignores it",
    imds: "LocalStack's IMDS (Pro only) has no network/interfaces tree",
    unauthorized: "LocalStack does not check credentials",
  },
};

export interface World {
  vpcId: string;
  subnetId: string;
  instanceId: string;
}

export interface Target {
  kind: "emulator" | "external";
  endpoint: string;
  region: string;
  caps: Capabilities;
  /** Only when kind is "emulator". */
  emulator?: Emulator;
  /** Raw SDK client for world building (VPCs, subnets, instances are not ipamd's business). */
  sdk: EC2Client;
  /** A fresh VPC 10.N.0.0/16 with one subnet 10.N.1.0/<subnetMask> and one running instance. */
  world(opts: { subnetMask: number; instanceType: string }): Promise<World>;
  close(): Promise<void>;
}

/** The reason a capability is missing, printed once; undefined when present. */
export function missing(t: Target, cap: Capability): string | undefined {
  const c = t.caps[cap];
  if (c === true) return undefined;
  console.warn(`SKIP [${t.kind}] ${cap}: ${c}`);
  return c;
}

let vpcCounter = 0;

/** The emulator refuses this key (AuthFailure), as AWS refuses an unknown one. */
export const REFUSED_ACCESS_KEY = "AKIDWRONG";

export async function openTarget(emulatorOptions: EmulatorOptions = { timeScale: 0 }): Promise<Target> {
  const external = process.env["EC2_ENDPOINT"];
  const emulator = external
    ? undefined
    : await startEmulator({ ...emulatorOptions, port: 0, refusedAccessKeys: [REFUSED_ACCESS_KEY] });
  const endpoint = external ?? emulator!.endpoint;
  const region = emulator?.region ?? process.env["AWS_REGION"] ?? "us-east-1";
  const sdk = new EC2Client({
    endpoint,
    region,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  const instances: string[] = [];
  return {
    kind: external ? "external" : "emulator",
    endpoint,
    region,
    caps: CAPABILITIES[external ? "external" : "emulator"],
    ...(emulator ? { emulator } : {}),
    sdk,
    async world({ subnetMask, instanceType }) {
      // Each world its own VPC, so an external endpoint's leftovers never collide.
      const n = 100 + (vpcCounter++ % 100);
      const vpc = await sdk.send(new CreateVpcCommand({ CidrBlock: `10.${n}.0.0/16` }));
      const vpcId = vpc.Vpc?.VpcId ?? "";
      const sub = await sdk.send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.${n}.1.0/${subnetMask}` }),
      );
      const subnetId = sub.Subnet?.SubnetId ?? "";
      const run = await sdk.send(
        new RunInstancesCommand({
          MinCount: 1,
          MaxCount: 1,
          InstanceType: instanceType as _InstanceType,
          SubnetId: subnetId,
          ImageId: process.env["EC2_IMAGE_ID"] ?? "ami-12c6146b",
        }),
      );
      const instanceId = run.Instances?.[0]?.InstanceId ?? "";
      instances.push(instanceId);
      return { vpcId, subnetId, instanceId };
    },
    async close() {
      if (external && instances.length > 0) {
        await sdk.send(new TerminateInstancesCommand({ InstanceIds: instances })).catch(() => {});
      }
      sdk.destroy();
      await emulator?.close();
    },
  };
}

/** Polls until `probe` returns a value (attachments settle asynchronously, as on AWS). */
export async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
