// Settings out of range are refused at start: the real entry point
// (`node ipamd/main.ts`) exits 2 with one message naming every bad variable,
// before touching IMDS, EC2, the socket or the host. No privileges needed.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { IPAMD_MAIN } from "../../harness/ipamd-process.ts";

const dir = mkdtempSync(join(tmpdir(), "ipamd-bad-settings-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const opts = {
    env: {
      PATH: process.env.PATH ?? "",
      // Where a real start would go if settings passed: nowhere reachable, so
      // a wrongly accepted setting shows up as a different exit, not a hang.
      AWS_EC2_METADATA_SERVICE_ENDPOINT: "http://127.0.0.1:1",
      AWS_ENDPOINT_URL_EC2: "http://127.0.0.1:1",
      AWS_REGION: "us-west-2",
      VPC_CNI_STATE_DIR: join(dir, "state"),
      VPC_CNI_SOCKET_PATH: join(dir, "ipamd.sock"),
      ...env,
    },
    encoding: "utf8" as const,
    timeout: 20_000,
  };
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [IPAMD_MAIN], opts, (_err, _out, stderr) =>
      resolve({ code: child.exitCode, stderr }),
    );
  });
}

const cases: { name: string; env: Record<string, string> }[] = [
  { name: "negative warm target", env: { WARM_IP_TARGET: "-1" } },
  { name: "MTU above 9001", env: { AWS_VPC_ENI_MTU: "9002" } },
  { name: "MTU below 576", env: { AWS_VPC_ENI_MTU: "100" } },
  // (MAX_ENI 0 or below means no cap, as in the AWS VPC CNI: not refused.)
  { name: "MAX_ENI not a number", env: { MAX_ENI: "two" } },
  { name: "AWS feature we do not implement", env: { ENABLE_POD_ENI: "true" } },
  { name: "reconcile interval below 5 s", env: { VPC_CNI_RECONCILE_INTERVAL_SECONDS: "1" } },
  { name: "leak delay below 60 s", env: { VPC_CNI_LEAKED_ENI_DELAY_SECONDS: "10" } },
  { name: "cooldown above an hour", env: { VPC_CNI_IP_COOLDOWN_SECONDS: "3601" } },
  { name: "not a number", env: { WARM_ENI_TARGET: "lots" } },
  { name: "not a boolean", env: { ENABLE_PREFIX_DELEGATION: "maybe" } },
  { name: "veth prefix too long", env: { AWS_VPC_K8S_CNI_VETHPREFIX: "toolong" } },
  { name: "relative socket path", env: { VPC_CNI_SOCKET_PATH: "ipamd.sock" } },
  { name: "bad SNAT CIDR", env: { AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS: "10.0.0.0/33" } },
  { name: "metrics port out of range", env: { VPC_CNI_METRICS_ADDRESS: "0.0.0.0:70000" } },
  // Introspection names pods and is unauthenticated: loopback only.
  { name: "introspection on all interfaces", env: { VPC_CNI_INTROSPECTION_ADDRESS: "0.0.0.0:61679" } },
  { name: "introspection on a VPC address", env: { VPC_CNI_INTROSPECTION_ADDRESS: "10.0.1.10:61679" } },
  { name: "introspection on IPv6 any", env: { VPC_CNI_INTROSPECTION_ADDRESS: "[::]:61679" } },
];

describe("ipamd refuses bad settings at start (exit 2, each variable named)", () => {
  it.concurrent.each(cases)("$name", async ({ env }) => {
    const r = await start(env);
    expect(r.code, r.stderr).toBe(2);
    for (const name of Object.keys(env)) expect(r.stderr).toContain(name);
  });

  it("names every bad variable of one start in one message", async () => {
    const env = {
      WARM_IP_TARGET: "-5",
      AWS_VPC_ENI_MTU: "70000",
      VPC_CNI_INTROSPECTION_ADDRESS: "0.0.0.0:1",
      VPC_CNI_RECONCILE_INTERVAL_SECONDS: "0",
    };
    const r = await start(env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("invalid ipamd settings (4)");
    for (const name of Object.keys(env)) expect(r.stderr).toContain(name);
    // Plain text for a person, not a stack trace.
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
