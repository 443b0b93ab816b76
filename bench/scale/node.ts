// What the scale simulation needs from a node, whichever policy drives it.

/**
 * Pods scheduled on every node as it joins (e.g. DaemonSet pods that are not
 * hostNetwork). With them, WARM_ENI_TARGET=1 needs a second ENI in both
 * policies: the AWS VPC CNI grows while available < 1 x (IPs per ENI)
 * (isDatastorePoolTooLow), so an EMPTY node would stop after the primary ENI.
 */
export const PODS_AT_JOIN = 2;

/** How often a pod whose ADD found no address is retried (AWS ms; kubelet-like). */
export const POD_RETRY_MS = 1000;

/** IMDS poll interval while waiting for a new ENI, both policies (AWS ms; see ours.ts). */
export const IMDS_POLL_MS = 1000;

export interface SimPolicyNode {
  start(): void;
  /** True once the node's pods have addresses and its warm pool meets its targets. */
  ready(): boolean;
  /** Pods still without an address. */
  waitingPods(): number;
  stop(): Promise<void>;
}
