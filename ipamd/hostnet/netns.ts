// Namespace-scoped netlink sockets and sysctl writes.
//
// The netlink package cannot open a socket in another namespace, so we do
//   setns(target) ; create socket ; setns(self)
// synchronously on the JS thread: the socket stays bound to the namespace it
// was created in. Nothing async may run between the two setns calls (libuv's
// threadpool stays in our own namespace anyway), and the switch back happens
// in `finally` so an error can never leave the process in a pod's namespace.
import { closeSync, fstatSync, openSync, writeFileSync } from "node:fs";
import { createRtNetlink } from "netlink";
import { setnsAddon } from "../../native/setns/index.ts";
import { toHostnetError } from "./errors.ts";
import { Rtnl } from "./rtnl.ts";
import { HostnetError } from "./types.ts";

let selfFd: number | undefined;

/** Our own namespace, opened once (first use happens before any switch). */
function selfNetnsFd(): number {
  if (selfFd === undefined) selfFd = openSync("/proc/thread-self/ns/net", "r");
  return selfFd;
}

/** An open handle on a network namespace; close() it when done. */
export interface NetnsHandle {
  readonly path: string;
  readonly fd: number;
  close(): void;
}

/** Opens a namespace file (e.g. /var/run/netns/x or /proc/<pid>/ns/net). Throws kind "no-netns". */
export function openNetns(path: string): NetnsHandle {
  if (typeof path !== "string" || !path.startsWith("/")) {
    throw new HostnetError("invalid", `netns path must be absolute: ${JSON.stringify(path)}`, "EINVAL");
  }
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw toHostnetError(err, `open netns ${path}`, "no-netns");
  }
  let closed = false;
  return {
    path,
    fd,
    close() {
      if (!closed) closeSync(fd);
      closed = true;
    },
  };
}

let ownId: { dev: number; ino: number } | undefined;

/** Device and inode of our own namespace (fixed for the process's life: read once). */
function ownNetnsId(): { dev: number; ino: number } {
  if (ownId === undefined) {
    const st = fstatSync(selfNetnsFd());
    ownId = { dev: st.dev, ino: st.ino };
  }
  return ownId;
}

/**
 * openNetns() for a POD's namespace: refuses the node's own (the one ipamd
 * runs in, with hostNetwork) and directories. A runtime bug or a hostile
 * client could name either, and an eth0 with a pod address in the node's
 * namespace would break the node. The plugin leaves this check to ipamd (a
 * stat in the plugin costs it a thread hop under Bun, ~0.5 ms per ADD).
 * Throws kind "invalid" for the node's namespace, "no-netns" otherwise.
 */
export function openPodNetns(path: string): NetnsHandle {
  const ns = openNetns(path);
  try {
    const own = ownNetnsId();
    const target = fstatSync(ns.fd);
    if (target.dev === own.dev && target.ino === own.ino) {
      throw new HostnetError(
        "invalid",
        `CNI_NETNS ${path} is the node's own network namespace (ipamd's), not a pod's`,
        "EINVAL",
      );
    }
    if (target.isDirectory()) {
      throw new HostnetError(
        "no-netns",
        `CNI_NETNS ${path} is a directory, not a network namespace`,
        "EINVAL",
      );
    }
  } catch (err) {
    ns.close();
    throw err;
  }
  return ns;
}

/** Runs `fn` synchronously inside the namespace behind `fd`, always switching back. */
export function inNetnsSync<T>(fd: number, what: string, fn: () => T): T {
  const self = selfNetnsFd();
  try {
    setnsAddon.setNetns(fd);
  } catch (err) {
    // EINVAL: the file is not a network namespace.
    throw toHostnetError(err, `setns for ${what}`, "no-netns");
  }
  try {
    return fn();
  } finally {
    // If this ever failed every later call would act on the wrong namespace:
    // crash loudly rather than continue.
    setnsAddon.setNetns(self);
  }
}

/** A netlink socket bound to the namespace behind `fd` (undefined: our own namespace). */
export function openRtnlIn(fd: number | undefined): Rtnl {
  if (fd === undefined) return new Rtnl(createRtNetlink());
  return new Rtnl(inNetnsSync(fd, "netlink socket", () => createRtNetlink()));
}

const SYSCTL_KEY = /^[a-z0-9_]+(\/[A-Za-z0-9_.-]+)+$/;

/**
 * Writes /proc/sys/<key> inside the namespace behind `fd` (undefined: ours).
 * Sync fs between the setns calls reaches that namespace's /proc/sys.
 */
export function writeSysctl(fd: number | undefined, key: string, value: string): void {
  if (!SYSCTL_KEY.test(key) || key.includes("..")) {
    throw new HostnetError("invalid", `invalid sysctl key ${JSON.stringify(key)}`, "EINVAL");
  }
  const write = () => {
    try {
      writeFileSync(`/proc/sys/${key}`, value);
    } catch (err) {
      throw toHostnetError(err, `sysctl ${key}=${value}`);
    }
  };
  if (fd === undefined) write();
  else inNetnsSync(fd, `sysctl ${key}`, write);
}
