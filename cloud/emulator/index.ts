// A faithful local AWS for the CNI: the EC2 Query API and IMDSv2 over HTTP,
// enforcing AWS's network rules, delays, throttling and injectable faults.
//
//   const emu = await startEmulator({ timeScale: 0 });
//   const ec2 = new EC2Client({ endpoint: emu.endpoint, region: "us-east-1",
//                               credentials: { accessKeyId: "x", secretAccessKey: "x" } });
//   // IMDS of one instance: base URL emu.imdsEndpointFor(id) + "latest/meta-data/..."

import type { AddressInfo } from "node:net";
import { EmulatorAdmin } from "./admin.ts";
import { Controls, type EmulatorStats } from "./controls.ts";
import { createEmulatorServer } from "./http/server.ts";
import { ImdsEndpoint } from "./imds/endpoint.ts";
import { type EmulatorOptions, resolveOptions } from "./options.ts";
import { DataPlaneBridge } from "./state/dataplane-bridge.ts";
import { World } from "./state/world.ts";

export type { BuiltWorld, EmulatorState, WorldSpec } from "./admin.ts";
export { EmulatorAdmin, SIMPLE_WORLD } from "./admin.ts";
export type { ActionStats, EmulatorStats } from "./controls.ts";
export type { EmulatorOptions, LatencyConfig, ThrottleConfig } from "./options.ts";
export { DEFAULT_LATENCY } from "./options.ts";
export type { BucketConfig, ThrottleClass } from "./rules/throttle.ts";
export { DEFAULT_BUCKETS } from "./rules/throttle.ts";

export interface Emulator {
  /** EC2 endpoint for the SDK's `endpoint` option, e.g. http://127.0.0.1:4566 */
  readonly endpoint: string;
  readonly region: string;
  /** IMDS base URL of one instance (ends with "/"): append "latest/api/token" etc. */
  imdsEndpointFor(instanceId: string): string;
  readonly admin: EmulatorAdmin;
  stats(): EmulatorStats;
  /** Stops the server and pending transitions, then closes the data plane (if any). */
  close(): Promise<void>;
}

/** Pending connections the kernel queues before the emulator accepts them (capped by net.core.somaxconn). */
const ACCEPT_BACKLOG = 4096;

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const o = resolveOptions(options);
  const controls = new Controls(o);
  const bridge = new DataPlaneBridge(o.dataPlane);
  const world = new World({
    region: o.region,
    accountId: o.accountId,
    instanceTypes: o.instanceTypes,
    attachDelayMs: () => controls.scaled(controls.latency.attachMs),
    detachDelayMs: () => controls.scaled(controls.latency.detachMs),
    bridge,
  });
  let base = "";
  const imdsEndpointFor = (instanceId: string) => `${base}/imds/${instanceId}/`;
  const admin = new EmulatorAdmin(world, controls, imdsEndpointFor);
  const server = createEmulatorServer({
    world,
    controls,
    imds: new ImdsEndpoint(world),
    admin,
    refusedAccessKeys: o.refusedAccessKeys,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // A deep accept queue, as a real endpoint has: Node's default (511) overflowed
    // when 1,000 simulated nodes (bench:scale) connected between two turns of this
    // busy event loop, and every dropped SYN cost its call a 1-7 s retransmit.
    server.listen({ port: o.port, host: o.host, backlog: ACCEPT_BACKLOG }, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  base = `http://${host}:${addr.port}`;
  let closed: Promise<void> | undefined;
  return {
    endpoint: base,
    region: o.region,
    imdsEndpointFor,
    admin,
    stats: () => controls.stats(),
    close: () => {
      closed ??= (async () => {
        world.close();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
        await bridge.close();
      })();
      return closed;
    },
  };
}
