// The shared cloud of the scale simulation: ONE emulator (one account, one
// set of throttling buckets) in a process of its own (emulator-process.ts says
// why), N instances built through its admin API (world building is not an EC2
// call a node makes), and what each node knows at boot.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { EmulatorStats } from "../../cloud/emulator/index.ts";

export interface SimNode {
  instanceId: string;
  imdsEndpoint: string;
  subnetId: string;
  subnetCidr: string;
  securityGroupIds: string[];
  primary: { id: string; mac: string; primaryIp: string };
}

/** What the emulator process prints once it is ready. */
export interface SimCloud {
  endpoint: string;
  region: string;
  nodes: SimNode[];
}

export interface SimEmulator {
  readonly endpoint: string;
  readonly region: string;
  stats(): Promise<EmulatorStats>;
  /** ENIs attached to any instance right now. */
  attachedEnis(): Promise<number>;
  close(): Promise<void>;
}

export interface SimWorld {
  emulator: SimEmulator;
  nodes: SimNode[];
}

const ENTRY = fileURLToPath(new URL("./emulator-process.ts", import.meta.url));

export async function buildSimWorld(n: number, instanceType: string, s: number): Promise<SimWorld> {
  const child = spawn(process.execPath, [ENTRY, String(n), instanceType, String(s)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = new Promise<void>((r) => child.once("close", () => r()));
  let cloud: SimCloud | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    cloud = JSON.parse(line) as SimCloud;
    break;
  }
  if (cloud === undefined) throw new Error("the emulator process exited before it was ready");
  const admin = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${cloud.endpoint}/_emulator/${path}`);
    if (!res.ok) throw new Error(`emulator admin ${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  const emulator: SimEmulator = {
    endpoint: cloud.endpoint,
    region: cloud.region,
    stats: () => admin<EmulatorStats>("stats"),
    attachedEnis: async () => {
      const state = await admin<{ enis: { attachment?: unknown }[] }>("state");
      return state.enis.filter((e) => e.attachment !== undefined).length;
    },
    close: async () => {
      child.stdin.end();
      await exited;
    },
  };
  return { emulator, nodes: cloud.nodes };
}
