// `npm run test:soak`: the long soak (10,000 operations). SOAK_* variables
// override options (test/soak/options.ts). Ends with the one summary line;
// exit 1 if any invariant was violated.
import { canUseNetns, netnsSkipReason } from "../support/privileges.ts";
import { LONG, withEnv } from "./options.ts";
import { runSoak, summaryLine } from "./soak.ts";

if (!canUseNetns) {
  process.stdout.write(`soak skipped: ${netnsSkipReason}\n`);
  process.exit(0);
}
const opts = withEnv(LONG, process.env);
const log = (s: string) => process.stdout.write(`${s}\n`);
log(`soak options: ${JSON.stringify(opts)}`);
const report = await runSoak(opts, log);
for (const v of report.violations.slice(0, 50)) log(`VIOLATION: ${v}`);
log(summaryLine(report));
process.exit(report.violations.length === 0 ? 0 : 1);
