// Shared setup for emulator integration tests: a real emulator on an ephemeral
// port and the UNMODIFIED @aws-sdk/client-ec2 talking to it over HTTP.

import { EC2Client, type EC2ClientConfig } from "@aws-sdk/client-ec2";
import { type Emulator, type EmulatorOptions, startEmulator } from "../../../cloud/emulator/index.ts";

export interface Harness {
  emu: Emulator;
  ec2: EC2Client;
  close(): Promise<void>;
}

export async function startHarness(
  options: EmulatorOptions = {},
  client: Partial<EC2ClientConfig> = {},
): Promise<Harness> {
  const emu = await startEmulator({ timeScale: 0, ...options });
  const ec2 = new EC2Client({
    endpoint: emu.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
    ...client,
  });
  return {
    emu,
    ec2,
    close: async () => {
      ec2.destroy();
      await emu.close();
    },
  };
}

/** The AWS error code of a failed SDK call (fails the test if the call succeeds). */
export async function codeOf(
  p: Promise<unknown>,
): Promise<{ code: string; status: number | undefined; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as {
      name?: string;
      Code?: string;
      message?: string;
      $metadata?: { httpStatusCode?: number };
    };
    return {
      code: err.Code ?? err.name ?? "?",
      status: err.$metadata?.httpStatusCode,
      message: err.message ?? "",
    };
  }
  throw new Error("expected the call to fail, it succeeded");
}

/** A VPC 10.0.0.0/16 with subnet A (10.0.0.0/24, us-east-1a) and B (10.0.1.0/24, us-east-1b). */
export function smallWorld(
  emu: Emulator,
  instances: { type: string; subnet?: 0 | 1 }[] = [{ type: "m5.large" }],
) {
  return emu.admin.buildWorld({
    vpcCidr: "10.0.0.0/16",
    subnets: [
      { cidr: "10.0.0.0/24", availabilityZone: "us-east-1a" },
      { cidr: "10.0.1.0/24", availabilityZone: "us-east-1b" },
    ],
    instances: instances.map((i) => ({ subnet: i.subnet ?? 0, instanceType: i.type })),
  });
}
