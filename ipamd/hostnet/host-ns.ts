// The "host side" of the node's plumbing. In production ipamd runs with
// hostNetwork, so the host side is simply the namespace this process is in.
// Tests (and anything that must not touch the real node) pass a namespace
// path instead; every host-side socket and sysctl then acts there.
import { type NetnsHandle, openNetns, openRtnlIn, writeSysctl } from "./netns.ts";
import type { Rtnl } from "./rtnl.ts";

export class HostNamespace {
  readonly #handle: NetnsHandle | undefined;
  #rtnl: Rtnl | undefined;

  /** hostNetnsPath undefined = the namespace this process runs in. */
  constructor(hostNetnsPath?: string) {
    this.#handle = hostNetnsPath === undefined ? undefined : openNetns(hostNetnsPath);
  }

  /**
   * One long-lived socket; concurrent requests are matched by sequence number.
   * A socket that failed (Rtnl.broken: its requests failed) is replaced.
   */
  get rtnl(): Rtnl {
    if (this.#rtnl?.broken) {
      this.#rtnl.close();
      this.#rtnl = undefined;
    }
    this.#rtnl ??= openRtnlIn(this.#handle?.fd);
    return this.#rtnl;
  }

  /** fd of the host namespace, or undefined when it is our own. */
  get fd(): number | undefined {
    return this.#handle?.fd;
  }

  get path(): string | undefined {
    return this.#handle?.path;
  }

  sysctl(key: string, value: string): void {
    writeSysctl(this.#handle?.fd, key, value);
  }

  close(): void {
    this.#rtnl?.close();
    this.#rtnl = undefined;
    this.#handle?.close();
  }
}
