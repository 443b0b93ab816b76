// Public types of ipamd's in-memory address model (./datastore.ts) and its
// checkpoint (./checkpoint.ts).

import type { AttachmentKey, PodRef } from "../api/protocol.ts";

/** An ENI attached to this node, as IMDS + EC2 describe it. */
export interface EniInfo {
  id: string;
  mac: string;
  deviceIndex: number;
  /** Device 0: never freed; with custom networking, never used for pods. */
  primary: boolean;
  subnetId: string;
  /** e.g. "10.0.1.0/24": the gateway is its first address + 1. */
  subnetCidr: string;
  /** The ENI's own address (never handed to pods). */
  primaryIp: string;
  /** When ipamd first saw it attached (epoch ms): the planner's ENI-age damping. */
  attachedAtMs: number;
}

/** An ENI with the pod addresses it carries, as observed in IMDS/EC2 (input of reconcile). */
export interface ObservedEni extends EniInfo {
  /** Secondary IPs (the primary IP excluded). */
  ips: string[];
  /** Delegated /28 prefixes, e.g. "10.0.1.16/28". */
  prefixes: string[];
}

export interface Assignment {
  key: AttachmentKey;
  ip: string;
  eniId: string;
  pod: PodRef;
  netns: string;
  hostVeth: string;
  assignedAtMs: number;
}

export interface AssignRequest {
  key: AttachmentKey;
  pod: PodRef;
  netns: string;
  hostVeth: string;
}

export interface PoolCounts {
  /** Pod addresses held (secondary IPs + 16 per prefix). */
  total: number;
  assigned: number;
  /** Free and not cooling down: what the next ADD can get. */
  available: number;
  cooldown: number;
  enis: number;
  prefixes: number;
  /** Prefixes with nothing assigned or cooling. */
  freePrefixes: number;
}

export type AssignResult =
  | {
      ok: true;
      assignment: Assignment /** false when this key already held it (repeated ADD). */;
      created: boolean;
    }
  | { ok: false; reason: "no-free-address"; counts: PoolCounts };

export type ReleaseResult = { ok: true; assignment: Assignment } | { ok: false; reason: "not-found" };

export interface ReconcileReport {
  addedEnis: string[];
  removedEnis: string[];
  addedIps: string[];
  removedIps: string[];
  addedPrefixes: string[];
  removedPrefixes: string[];
  /**
   * Live assignments whose address no longer is on any ENI. They are KEPT (so a
   * later ADD/DEL for the key behaves, and the address is never handed out if it
   * comes back) until the caller releases them (DEL, GC, or deliberately).
   */
  orphaned: Assignment[];
  /** Assignments that moved to another ENI (address now seen there). */
  moved: { key: AttachmentKey; ip: string; from: string; to: string }[];
}

/** What the checkpoint stores: assignments and cooldowns. ENIs come from IMDS+EC2 at start. */
export interface DatastoreState {
  assignments: Assignment[];
  /** Released addresses still cooling down: [ip, untilMs]. */
  cooldowns: { ip: string; untilMs: number }[];
}

export type RestoreReport = {
  restored: number;
  /** Restored but their address is not on any ENI right now (kept; see ReconcileReport.orphaned). */
  orphaned: Assignment[];
  /** Two records claimed the same address: the first (oldest) wins, these are dropped. */
  conflicts: Assignment[];
};
