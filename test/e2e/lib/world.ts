// Gate and shared setup for the e2e files: root (network namespaces), the
// built plugin and ipamd must exist; otherwise the file is skipped with the
// reason printed once.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { IPAMD_MAIN } from "../../harness/ipamd-process.ts";
import { canUseNetns } from "../../support/privileges.ts";

const PLUGIN = fileURLToPath(new URL("../../../build/vpc-cni", import.meta.url));

export const e2eReady = canUseNetns && existsSync(IPAMD_MAIN) && existsSync(PLUGIN);
if (canUseNetns && !e2eReady)
  process.stderr.write(`SKIPPING e2e: need ${IPAMD_MAIN} and ${PLUGIN} (bash cni/build.sh)\n`);

export { demoClusterOptions, NODES } from "../../../demo/world.ts";
export type { EniView } from "../../harness/index.ts";
