// CLI: npm run emulator -- [flags]. Runs the EC2 + IMDS emulator until Ctrl-C.

import { parseArgs } from "node:util";
import { ADMIN_ROUTES_HELP } from "./http/admin-routes.ts";
import { SIMPLE_WORLD, startEmulator } from "./index.ts";

const HELP = `Local AWS for the VPC CNI: EC2 Query API + IMDSv2, with AWS's network rules.

Usage: npm run emulator -- [flags]

  --port <n>          listen port (default 4566; 0 = any free port)
  --host <addr>       listen address (default 127.0.0.1)
  --time-scale <x>    multiply every delay (attach ~2 s, detach ~2 s, calls tens of ms); 0 = instant (default 1)
  --fault-rate <p>    probability 0..1 that any EC2 call fails with InternalError 500 / Unavailable 503 (default 0)
  --no-throttle       turn EC2 request throttling (RequestLimitExceeded) off
  --world simple      create a demo VPC 10.0.0.0/16, subnets in us-east-1a/b and two m5.large instances,
                      and print their ids and IMDS URLs
  --help              this text

EC2:   point the SDK at the printed endpoint, region us-east-1, any static credentials.
IMDS:  per instance at http://<host>:<port>/imds/<instance-id>/  (IMDSv2: PUT latest/api/token first),
       e.g. AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:4566/imds/i-0123.../
Admin (JSON over HTTP, for tests in other processes):
${ADMIN_ROUTES_HELP.map((l) => `  ${l}`).join("\n")}
`;

function fail(message: string): never {
  process.stderr.write(`emulator: ${message}\nRun with --help for usage.\n`);
  process.exit(2);
}

function num(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n)) fail(`--${name} expects a number, got '${text}'`);
  return n;
}

const OPTIONS = {
  port: { type: "string" },
  host: { type: "string" },
  "time-scale": { type: "string" },
  "fault-rate": { type: "string" },
  "no-throttle": { type: "boolean" },
  world: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;
let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>;
try {
  parsed = parseArgs({ options: OPTIONS, strict: true, allowPositionals: false });
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
const v = parsed.values;
if (v.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
if (v.world !== undefined && v.world !== "simple") fail(`--world knows only 'simple', got '${v.world}'`);
const faultRate = num("fault-rate", v["fault-rate"], 0);
if (faultRate < 0 || faultRate > 1) fail(`--fault-rate must be between 0 and 1, got ${faultRate}`);

let emulator: Awaited<ReturnType<typeof startEmulator>>;
try {
  emulator = await startEmulator({
    port: num("port", v.port, 4566),
    host: v.host ?? "127.0.0.1",
    timeScale: num("time-scale", v["time-scale"], 1),
    faults: faultRate > 0 ? { "*": faultRate } : {},
    ...(v["no-throttle"] ? { throttle: false as const } : {}),
  });
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}

process.stdout.write(`EC2 endpoint: ${emulator.endpoint}  (region ${emulator.region})\n`);
process.stdout.write(`Admin:        ${emulator.endpoint}/_emulator/state\n`);
if (v.world === "simple") {
  const w = emulator.admin.buildWorld(SIMPLE_WORLD);
  process.stdout.write(`VPC ${w.vpcId}  subnets ${w.subnetIds.join(" ")}\n`);
  for (const id of w.instanceIds) process.stdout.write(`instance ${id}  IMDS ${w.imds[id]}\n`);
}

const stop = () => {
  void emulator.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
