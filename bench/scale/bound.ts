// The token-bucket lower bound for N nodes warming their pools at once.
// Each class c of EC2 calls has an account bucket (capacity C_c, refill r_c
// per second). If the nodes strictly need K_c calls of class c in total, the
// last of them cannot be admitted before (K_c - C_c) / r_c seconds; after the
// last admitted call of a class, at least its answer (and for the attach, the
// attachment itself) still has to happen. So
//   bound = max over classes of  max(0, K_c - C_c) / r_c + tail_c
// with tail = answer latency, plus the attach delay for AttachNetworkInterface.
// Calls strictly needed per node (m5.large, WARM_ENI_TARGET=1: primary ENI
// filled + a second ENI, needed once the join-time pods hold addresses):
// 1 AssignPrivateIpAddresses (primary), 1
// CreateNetworkInterface carrying its addresses, 1 AttachNetworkInterface.
import type { BucketConfig } from "../../cloud/emulator/index.ts";

export interface ClassNeed {
  cls: string;
  calls: number;
  bucket: BucketConfig;
  tailMs: number;
}

export interface ScaleBound {
  boundMs: number;
  perClass: { cls: string; calls: number; ms: number }[];
}

export function tokenBound(needs: readonly ClassNeed[]): ScaleBound {
  const perClass = needs.map((n) => ({
    cls: n.cls,
    calls: n.calls,
    ms: (Math.max(0, n.calls - n.bucket.capacity) / n.bucket.refillPerSecond) * 1000 + n.tailMs,
  }));
  return { boundMs: Math.max(0, ...perClass.map((p) => p.ms)), perClass };
}
