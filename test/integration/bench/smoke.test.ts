// Smoke test of the benches: each one runs with --smoke (tiny sizes) and must
// complete and print its headline as its last line. Numbers are NOT checked:
// benches never fail on noise. Root only (namespaces); skipped otherwise.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { canUseNetns } from "../../support/privileges.ts";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));

function runSmoke(name: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const { NODE_EXTRA_CA_CERTS: _drop, ...env } = process.env;
    const child = spawn(process.execPath, [`${REPO}bench/${name}.ts`, "--smoke"], { env });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    child.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

describe.skipIf(!canUseNetns)("benches in smoke mode", () => {
  for (const name of ["add", "burst", "scale", "daemon"]) {
    it(`bench:${name} completes and prints its headline last`, async () => {
      const r = await runSmoke(name);
      const stdoutLines = r.out.trim().split("\n");
      expect(r.code, r.out.slice(-2000)).toBe(0);
      expect(stdoutLines[stdoutLines.length - 1]).toMatch(new RegExp(`^HEADLINE bench:${name} `));
    }, 40_000);
  }
});
