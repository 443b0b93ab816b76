// DEL's host veth removal, off ipamd's event loop.
//
// Why: RTM_DELLINK of a veth blocks inside the kernel (unregister_netdevice
// waits for RCU grace periods) for 9-150 ms measured on the 2-core machine
// under load, and the netlink package sends from the JS thread, so every
// other request waited that long too. Instead DEL sets the host end down and
// renames it to a graveyard name (two netlink calls, ~0.3 ms each), answers,
// and one long-lived `ip -force -batch -` child deletes graveyard links: its
// thread blocks in the kernel, not ours.
//
// Renaming first frees the pod's stable veth name at once, so a re-created
// pod's ADD never waits and a late delete can never hit the new pod's veth.
// Nothing is left behind:
//  - the child deletes what it has read from its stdin even when ipamd dies
//    (SIGKILL closes the pipe; `ip` finishes the lines it has, then exits);
//  - drain() (ipamd shutdown) waits for the child, then deletes any graveyard
//    link still present itself; the first use after start sweeps graveyard
//    links a crashed ipamd left;
//  - an ADD into the same pod namespace whose interface is still the pod end
//    of a graveyard pair deletes that pair itself first (reclaim()).
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { Rtnl } from "./rtnl.ts";
import { linkSetMessage } from "./rtnl-encode.ts";

/** vethPrefix allows no "." (config validation), so no live pod veth name starts with this. */
export const GRAVEYARD_PREFIX = "vcni.";

export function graveyardName(): string {
  return GRAVEYARD_PREFIX + randomBytes(5).toString("hex"); // 15 chars = IFNAMSIZ - 1
}

export function isGraveyardName(name: string): boolean {
  return name.startsWith(GRAVEYARD_PREFIX);
}

/** Bound on remembered pod ends; older entries only lose the fast reclaim (ADD then fails EEXIST once). */
const MAX_PENDING = 4096;

export interface VethReaperOptions {
  /** Host namespace path; undefined = the namespace this process runs in. */
  hostNetnsPath?: string;
  /** Longest drain() waits for the child before deleting leftovers itself. */
  drainTimeoutMs?: number;
  /** The delete program; tests replace it. Default: ip -force -batch - (via nsenter for a path). */
  command?: string[];
}

export class VethReaper {
  readonly #host: () => Rtnl;
  readonly #opts: VethReaperOptions;
  #child: ChildProcess | undefined;
  #exited: Promise<void> | undefined;
  #swept = false;
  #noHelper = false;
  /** "<netns>\0<ifName>" of a pod end -> graveyard name of its host end, until reclaimed. */
  readonly #pending = new Map<string, string>();

  constructor(host: () => Rtnl, opts: VethReaperOptions = {}) {
    this.#host = host;
    this.#opts = opts;
  }

  /**
   * Takes the host end out of service now (down, renamed) and queues its
   * deletion. If the rename fails the link is deleted here, synchronously
   * for the caller, as before: correctness over speed.
   */
  async retire(
    link: { index: number; name: string },
    pod: { netnsPath: string; ifName: string },
  ): Promise<void> {
    const host = this.#host();
    const grave = graveyardName();
    try {
      // One datagram: the kernel takes the link down before the rename (which it refuses while up).
      const [down, renamed] = await host.batch([
        linkSetMessage(link.index, { up: false }),
        linkSetMessage(link.index, { name: grave }),
      ]);
      if (down !== undefined || renamed !== undefined) throw new Error(down ?? renamed);
    } catch {
      // Still down or still under its name: delete it the slow way, whichever name it has.
      if (!(await host.deleteLinkByName(link.name))) await host.deleteLinkByName(grave);
      return;
    }
    if (this.#pending.size >= MAX_PENDING) this.#pending.delete(this.#pending.keys().next().value!);
    this.#pending.set(`${pod.netnsPath}\0${pod.ifName}`, grave);
    this.#send([grave]);
    if (!this.#swept) {
      this.#swept = true;
      void this.#sweepLeftovers();
    }
  }

  /**
   * ADD found `ifName` already in the pod namespace. True when it was the pod
   * end of a pair we retired, which is now deleted (by us here, or by the
   * helper a moment earlier: then our delete finds nothing). The caller
   * checks the interface is really gone before going on.
   */
  async reclaim(netnsPath: string, ifName: string): Promise<boolean> {
    const k = `${netnsPath}\0${ifName}`;
    const grave = this.#pending.get(k);
    if (grave === undefined) return false;
    this.#pending.delete(k);
    await this.#host().deleteLinkByName(grave);
    return true;
  }

  /** Waits for every queued delete, then removes any graveyard link still there. */
  async drain(): Promise<void> {
    const child = this.#child;
    const exited = this.#exited;
    this.#child = undefined;
    this.#exited = undefined;
    if (child && exited) {
      child.stdin?.end();
      const ms = this.#opts.drainTimeoutMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
      clearTimeout(timer);
      if (child.exitCode === null) child.kill(); // stuck: what it did not delete is deleted below
    }
    const host = this.#host();
    for (const l of await host.links()) if (isGraveyardName(l.name)) await host.deleteLinkByName(l.name);
    this.#pending.clear();
  }

  /** Stops feeding the child; it finishes what it has read on its own (close() must not block). */
  close(): void {
    this.#child?.stdin?.end();
    this.#child?.unref();
    this.#child = undefined;
    this.#exited = undefined;
  }

  /** Graveyard links from an earlier ipamd (crashed with deletes queued): queue them too. */
  async #sweepLeftovers(): Promise<void> {
    try {
      // May include links already queued: a second `link del` of a gone link is a no-op (-force).
      const old = (await this.#host().links()).filter((l) => isGraveyardName(l.name));
      if (old.length > 0) this.#send(old.map((l) => l.name));
    } catch {
      // A failed dump only delays the sweep to drain(); DEL itself succeeded.
    }
  }

  #send(names: string[]): void {
    const child = this.#noHelper ? undefined : this.#ensureChild();
    if (child?.stdin?.writable) {
      child.stdin.write(names.map((n) => `link del dev ${n}\n`).join(""));
      return;
    }
    this.#deleteHere(names);
  }

  /** No helper (no `ip` binary): the old way, on our thread, in the background. */
  #deleteHere(names: readonly string[]): void {
    const host = this.#host();
    void (async () => {
      for (const n of names) await host.deleteLinkByName(n).catch(() => false);
    })();
  }

  #ensureChild(): ChildProcess | undefined {
    if (this.#child && this.#child.exitCode === null && this.#child.stdin?.writable) return this.#child;
    const ns = this.#opts.hostNetnsPath;
    const cmd =
      this.#opts.command ??
      (ns === undefined
        ? ["ip", "-force", "-batch", "-"]
        : ["nsenter", `--net=${ns}`, "--", "ip", "-force", "-batch", "-"]);
    let child: ChildProcess;
    try {
      child = spawn(cmd[0]!, cmd.slice(1), { stdio: ["pipe", "ignore", "ignore"] });
    } catch {
      return undefined;
    }
    child.stdin?.on("error", () => undefined); // EPIPE when it died: see "exit" below
    this.#exited = new Promise<void>((r) => {
      child.once("exit", () => {
        // Killed with lines unread: the next retire() sweeps graveyard links again.
        if (this.#child === child) this.#swept = false;
        r();
      });
      child.once("error", () => {
        // Could not start at all: delete here from now on, and whatever graveyard links exist now.
        this.#noHelper = true;
        void this.#sweepLeftovers();
        r();
      });
    });
    // ipamd's exit must not wait for the helper; the helper outlives ipamd if it must.
    child.unref();
    (child.stdin as { unref?: () => void } | null)?.unref?.();
    this.#child = child;
    return child;
  }
}
