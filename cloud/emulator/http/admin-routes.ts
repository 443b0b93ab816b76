// /_emulator/... : the admin API over HTTP (JSON), so a test or bench in
// another process can change faults, latency and throttling mid-run and read
// state. Bad input answers 400 with a message and changes nothing.

import { type EmulatorAdmin, SIMPLE_WORLD, type WorldSpec } from "../admin.ts";
import type { LatencyConfig, ThrottleConfig } from "../options.ts";

export interface JsonAnswer {
  status: number;
  json: unknown;
}

export const ADMIN_ROUTES_HELP = [
  "GET  /_emulator/state                 all VPCs, subnets, instances, ENIs (+ invariant violations)",
  "GET  /_emulator/stats                 calls per action, throttled, injected faults, bucket tokens",
  'POST /_emulator/faults    {"*":0.1,"AttachNetworkInterface":0.5}   replaces fault rates',
  'POST /_emulator/latency   {"attachMs":2000,"describeMs":30,"perAction":{...}}',
  'POST /_emulator/time-scale {"timeScale":0.1}',
  'POST /_emulator/throttle  false | {"buckets":{"describe":{"capacity":10,"refillPerSecond":1}}}',
  'POST /_emulator/world     "simple" | {"vpcCidr":..., "subnets":[...], "instances":[...]}',
];

export async function handleAdmin(
  admin: EmulatorAdmin,
  method: string,
  path: string,
  body: string,
): Promise<JsonAnswer> {
  let input: unknown;
  try {
    input = body === "" ? undefined : JSON.parse(body);
  } catch {
    return { status: 400, json: { error: "body is not valid JSON" } };
  }
  try {
    const route = `${method} ${path}`;
    switch (route) {
      case "GET /_emulator/state":
        return { status: 200, json: { ...admin.state(), invariantViolations: admin.checkInvariants() } };
      case "GET /_emulator/stats":
        return { status: 200, json: admin.stats() };
      case "POST /_emulator/faults":
        admin.setFaults(asRecord(input) as Record<string, number>);
        return { status: 200, json: { ok: true } };
      case "POST /_emulator/latency":
        admin.setLatency(asRecord(input) as Partial<LatencyConfig>);
        return { status: 200, json: { ok: true } };
      case "POST /_emulator/time-scale":
        admin.setTimeScale(Number(asRecord(input)["timeScale"]));
        return { status: 200, json: { ok: true } };
      case "POST /_emulator/throttle":
        admin.setThrottle(input === false ? false : (asRecord(input) as Exclude<ThrottleConfig, false>));
        return { status: 200, json: { ok: true } };
      case "POST /_emulator/world":
        return {
          status: 200,
          json: admin.buildWorld(
            input === "simple" ? SIMPLE_WORLD : (asRecord(input) as unknown as WorldSpec),
          ),
        };
      default:
        return { status: 404, json: { error: `no admin route ${route}`, routes: ADMIN_ROUTES_HELP } };
    }
  } catch (e) {
    return { status: 400, json: { error: e instanceof Error ? e.message : String(e) } };
  }
}

function asRecord(v: unknown): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new TypeError("expected a JSON object body");
  return v as Record<string, unknown>;
}
