// Self-healing for DELs ipamd never saw. While ipamd is down the plugin's DEL
// succeeds without it (the CNI spec says DEL must succeed), so the address
// stays assigned until a CNI GC or the Kubernetes reconciler releases it, and
// without Kubernetes nothing ever would. This sweep notices pods that are
// gone from the host and releases them through the same path a CNI DEL uses.
//
// "Gone" needs two independent signs, both of which the runtime (or the
// plugin's DEL fallback) removes when the pod goes away: the pod's network
// namespace path no longer exists AND the host end of its veth is gone. An
// assignment whose namespace path is unknown ("") is never judged gone, and
// one whose namespace exists never is, whatever its veth says (an ADD in
// flight has its namespace but not yet its veth).
import { existsSync } from "node:fs";
import type { Datastore } from "../datastore/datastore.ts";
import { keyString } from "../datastore/datastore.ts";
import type { Assignment } from "../datastore/types.ts";
import type { Logger } from "../log.ts";

/** How long a pod must look gone before its address is released: lets a late DEL do it first. */
export const GONE_POD_GRACE_MS = 10_000;
/**
 * How often the host is looked at (one stat per assignment; a link dump only
 * when some namespace is gone). 5 s: a gone pod's address comes back within
 * grace + 5 s, and an idle node with 250 pods wakes up less (idle CPU target).
 */
export const GONE_POD_SWEEP_INTERVAL_MS = 5_000;

export interface GoneProbe {
  key: string;
  /** The assignment's netns path; "" when unknown. */
  netns: string;
  netnsExists: boolean;
  vethExists: boolean;
}

export interface GoneDecision {
  /** Keys to release now. */
  release: string[];
  /** Keys that look gone, with when they were first seen so (the next call's input). */
  goneSince: Map<string, number>;
}

/** Pure: which assignments have looked gone for at least `graceMs`. */
export function decideGone(
  probes: readonly GoneProbe[],
  prevGoneSince: ReadonlyMap<string, number>,
  nowMs: number,
  graceMs: number,
): GoneDecision {
  const release: string[] = [];
  const goneSince = new Map<string, number>();
  for (const p of probes) {
    if (p.netns === "" || p.netnsExists || p.vethExists) continue;
    const since = prevGoneSince.get(p.key) ?? nowMs;
    goneSince.set(p.key, since);
    if (nowMs - since >= graceMs) release.push(p.key);
  }
  return { release, goneSince };
}

export interface GonePodSweeperDeps {
  ds: Datastore;
  /** Names of the links in the node namespace. */
  links: () => Promise<ReadonlySet<string>>;
  /** Releases exactly as a CNI DEL does (keyed lock, unplumb, cooldown, persist). */
  release: (a: Assignment) => Promise<void>;
  log: Logger;
  now?: () => number;
  exists?: (path: string) => boolean;
  graceMs?: number;
  intervalMs?: number;
  /** Called with every address released. */
  onReleased?: (a: Assignment) => void;
}

export class GonePodSweeper {
  readonly #d: GonePodSweeperDeps;
  #goneSince = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(d: GonePodSweeperDeps) {
    this.#d = d;
  }

  /** One pass; returns the assignments released. */
  async runOnce(): Promise<Assignment[]> {
    const { ds, log } = this.#d;
    const exists = this.#d.exists ?? existsSync;
    const now = this.#d.now ?? Date.now;
    const assignments = ds.assignments();
    if (assignments.length === 0 && this.#goneSince.size === 0) return [];
    const netnsExists = assignments.map((a) => a.netns !== "" && exists(a.netns));
    // Gone needs BOTH signs: while every known namespace exists (the steady
    // state) no probe can be gone, so skip the link dump (the sweep's main cost).
    const anyNetnsGone = assignments.some((a, i) => a.netns !== "" && !netnsExists[i]);
    const links = anyNetnsGone ? await this.#d.links() : new Set<string>();
    const probes = assignments.map((a, i) => ({
      key: keyString(a.key),
      netns: a.netns,
      netnsExists: netnsExists[i] === true,
      vethExists: links.has(a.hostVeth),
    }));
    const d = decideGone(probes, this.#goneSince, now(), this.#d.graceMs ?? GONE_POD_GRACE_MS);
    this.#goneSince = d.goneSince;
    const out: Assignment[] = [];
    for (const key of d.release) {
      const a = assignments.find((x) => keyString(x.key) === key);
      // Look again right before acting: a new ADD may have reused the key.
      if (a === undefined || (a.netns !== "" && exists(a.netns))) continue;
      try {
        await this.#d.release(a);
        this.#goneSince.delete(key);
        out.push(a);
        this.#d.onReleased?.(a);
        log.warn(
          { ip: a.ip, pod: a.pod, containerId: a.key.containerId, netns: a.netns, hostVeth: a.hostVeth },
          "released the address of a pod gone from the host (its DEL never reached ipamd)",
        );
      } catch (e) {
        log.warn({ ip: a.ip, err: (e as Error).message }, "could not release a gone pod's address");
      }
    }
    return out;
  }

  start(): void {
    const tick = () => {
      this.#running = this.runOnce()
        .then(() => undefined)
        .catch((e: unknown) => this.#d.log.warn({ err: (e as Error).message }, "gone-pod sweep failed"))
        .finally(() => {
          this.#running = undefined;
          if (!this.#stopped)
            this.#timer = setTimeout(tick, this.#d.intervalMs ?? GONE_POD_SWEEP_INTERVAL_MS).unref();
        });
    };
    this.#timer = setTimeout(tick, this.#d.intervalMs ?? GONE_POD_SWEEP_INTERVAL_MS).unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }
}
