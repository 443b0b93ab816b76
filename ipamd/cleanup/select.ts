// Which ENIs the leak cleaner may delete. Pure, table-tested: deleting the
// wrong ENI takes down someone else's workload, so every condition must hold:
//  - it carries THIS cluster's tag (never untagged, never another cluster's);
//  - it was created by a CNI (instance-id tag), not by a person or a load balancer;
//  - it is detached ("available", no attachment);
//  - its createdAt tag is parseable and older than the safety delay, so an ENI
//    another ipamd just created and has not attached yet is left alone.
import type { NetworkInterface } from "../../cloud/ec2/types.ts";
import { TAG_CLUSTER_NAME, TAG_CREATED_AT, TAG_INSTANCE_ID } from "../executor/tags.ts";

export interface LeakPolicy {
  clusterName: string;
  nowMs: number;
  delayMs: number;
}

export type LeakVerdict =
  | { eniId: string; delete: true; ageMs: number }
  | { eniId: string; delete: false; why: string };

export function judgeEni(eni: NetworkInterface, p: LeakPolicy): LeakVerdict {
  const keep = (why: string): LeakVerdict => ({ eniId: eni.id, delete: false, why });
  if (p.clusterName === "") return keep("no cluster name configured");
  if (eni.tags[TAG_CLUSTER_NAME] !== p.clusterName) return keep("not tagged with this cluster");
  if (eni.tags[TAG_INSTANCE_ID] === undefined) return keep("not created by a CNI (no instance-id tag)");
  if (eni.status !== "available" || eni.attachment !== undefined) return keep(`status ${eni.status}`);
  const created = eni.tags[TAG_CREATED_AT];
  // Date.parse accepts much more than RFC 3339; insist on the shape we write.
  if (created === undefined || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(created)) {
    return keep("no valid createdAt tag");
  }
  const ageMs = p.nowMs - Date.parse(created);
  if (!(ageMs >= p.delayMs)) return keep(`younger than the safety delay (${Math.round(ageMs / 1000)} s)`);
  return { eniId: eni.id, delete: true, ageMs };
}

export function selectLeakedEnis(enis: readonly NetworkInterface[], p: LeakPolicy): string[] {
  return enis.map((e) => judgeEni(e, p)).flatMap((v) => (v.delete ? [v.eniId] : []));
}
