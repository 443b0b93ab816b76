// TEST-ONLY crash point for the checkpoint writer, off unless
// VPC_CNI_TEST_CHECKPOINT_TRAP names a file. The soak test (test/soak) uses it
// to SIGKILL ipamd deterministically in the middle of a checkpoint write:
// it creates the arm file; the next in-place save writes HALF of the new
// checkpoint over its slot, syncs it, renames the arm file to "<file>.hit" (the marker
// the test waits for) and then never finishes, so the kill lands with that
// slot torn and the other slot holding the last acknowledged state. Without
// the variable this module only returns the fs it was given.
import { existsSync, renameSync } from "node:fs";
import type { CheckpointFs } from "./checkpoint-fs.ts";

export function withTestTrap(fs: CheckpointFs, trapFile: string | undefined): CheckpointFs {
  if (trapFile === undefined || trapFile === "") return fs;
  return {
    ...fs,
    async openSlot(file) {
      const slot = await fs.openSlot(file);
      return {
        ...slot,
        async write(data) {
          if (!existsSync(trapFile)) return slot.write(data);
          await slot.write(data.subarray(0, Math.floor(data.length / 2)));
          await slot.sync();
          renameSync(trapFile, `${trapFile}.hit`);
          await new Promise<never>(() => undefined); // hold here until killed
        },
      };
    },
  };
}
