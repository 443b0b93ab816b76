// TEST-ONLY crash point for the checkpoint writer, off unless
// VPC_CNI_TEST_CHECKPOINT_TRAP names a file. The soak test (test/soak) uses it
// to SIGKILL ipamd deterministically in the middle of a checkpoint write:
// it creates the arm file; the next save writes HALF of the new checkpoint to
// the temp file, fsyncs it, renames the arm file to "<file>.hit" (the marker
// the test waits for) and then never finishes, so the rename over the real
// checkpoint has not happened when the kill lands. Without the variable this
// module only returns the fs it was given.
import { existsSync, renameSync } from "node:fs";
import type { CheckpointFs } from "./checkpoint.ts";

export function withTestTrap(fs: CheckpointFs, trapFile: string | undefined): CheckpointFs {
  if (trapFile === undefined || trapFile === "") return fs;
  return {
    ...fs,
    async open(file) {
      const h = await fs.open(file);
      return {
        ...h,
        async write(data) {
          if (!existsSync(trapFile)) return h.write(data);
          await h.write(data.subarray(0, Math.floor(data.length / 2)));
          await h.sync();
          renameSync(trapFile, `${trapFile}.hit`);
          await new Promise<never>(() => undefined); // hold here until killed
        },
      };
    },
  };
}
