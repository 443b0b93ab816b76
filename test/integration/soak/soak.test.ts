// The short soak inside `npm test`: 2,000 pod operations on a 3-node simulated
// cluster with 20 % EC2 errors, throttling and latency, 6 ipamd SIGKILLs (one
// mid-checkpoint), an ENI detached and an address unassigned behind ipamd's
// back, a node terminated (leak cleanup), invariants checked during and after.
// The long run is `npm run test:soak` (test/soak/main.ts).
import { existsSync } from "node:fs";
import { expect, it } from "vitest";
import { IPAMD_MAIN } from "../../harness/ipamd-process.ts";
import { SHORT, withEnv } from "../../soak/options.ts";
import { runSoak, summaryLine } from "../../soak/soak.ts";
import { canUseNetns, netnsSkipReason } from "../../support/privileges.ts";

const PLUGIN = new URL("../../../build/vpc-cni", import.meta.url).pathname;
const skip = !canUseNetns
  ? netnsSkipReason
  : !existsSync(PLUGIN) || !existsSync(IPAMD_MAIN)
    ? `needs ${PLUGIN} (bash cni/build.sh)`
    : undefined;
if (skip) process.stderr.write(`SKIPPING short soak: ${skip}\n`);

it.skipIf(skip !== undefined)(
  "short soak: nothing lost, nothing double-assigned",
  async () => {
    const report = await runSoak(withEnv(SHORT, process.env), (s) => process.stdout.write(`${s}\n`));
    for (const v of report.violations.slice(0, 30)) process.stdout.write(`VIOLATION: ${v}\n`);
    process.stdout.write(`${summaryLine(report)}\n`);
    expect(report.operations).toBeGreaterThanOrEqual(SHORT.operations);
    expect(report.ipamdKills).toBeGreaterThanOrEqual(SHORT.randomKills + 1);
    expect(report.violations).toEqual([]);
  },
  420_000,
);
