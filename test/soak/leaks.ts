// Pure end-of-run checks on EC2 state: no ENI of this cluster is left
// detached, the leak cleaner never touched an ENI it must not delete, and the
// terminated node's ENIs were deleted only after the safety delay.
import type { NetworkInterface } from "../../cloud/ec2/types.ts";
import { TAG_CLUSTER_NAME, TAG_CREATED_AT } from "../../ipamd/executor/tags.ts";

export function leakedEniViolations(
  enis: readonly NetworkInterface[],
  clusterName: string,
  decoyIds: ReadonlySet<string>,
): string[] {
  const out: string[] = [];
  const present = new Set(enis.map((e) => e.id));
  for (const id of decoyIds)
    if (!present.has(id)) out.push(`decoy ENI ${id} (not the cluster's to delete) was deleted`);
  for (const e of enis) {
    if (decoyIds.has(e.id)) continue;
    if (e.tags[TAG_CLUSTER_NAME] === clusterName && e.status !== "in-use")
      out.push(`ENI ${e.id} of this cluster left ${e.status} (leaked)`);
  }
  return out;
}

/** `deletedAtMs`: wall-clock time the soak first saw each ENI gone. */
export function earlyDeletionViolations(
  deleted: readonly { eni: NetworkInterface; deletedAtMs: number }[],
  delayMs: number,
): string[] {
  const out: string[] = [];
  for (const { eni, deletedAtMs } of deleted) {
    const created = Date.parse(eni.tags[TAG_CREATED_AT] ?? "");
    // The tag has second precision (rounded down): allow that one second.
    if (!Number.isFinite(created)) out.push(`ENI ${eni.id} deleted, but had no createdAt tag`);
    else if (deletedAtMs - created < delayMs - 1000)
      out.push(
        `ENI ${eni.id} deleted ${deletedAtMs - created} ms after creation, safety delay is ${delayMs}`,
      );
  }
  return out;
}
