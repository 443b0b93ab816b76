// The only things the plugin does to the host itself, both cheap or rare:
//  - checkNetns: ADD/CHECK refuse a missing namespace or the plugin's own one
//    (libcni's skel does the same), one stat each.
//  - removeHostVeth: DEL's fallback when ipamd is unreachable. It deletes the
//    host end of the pod's veth named in prevResult, so a dead daemon does not
//    leave stale links and routes behind; the address is released later by
//    ipamd's GC/reconcile. Spawns `ip` only on this rare path.
import { stat } from "./runtime.ts";

export async function checkNetns(path: string): Promise<string | undefined> {
  // Both stats at once: under Bun each is a hop to its I/O thread.
  const [target, own] = await Promise.allSettled([stat(path), stat("/proc/self/ns/net")]);
  if (target.status === "rejected") {
    return `network namespace ${path} is not accessible: ${(target.reason as Error).message}`;
  }
  const t = target.value;
  // A namespace handle is an nsfs file; a directory (e.g. "/") never is.
  if (t.isDirectory()) return `CNI_NETNS ${path} is a directory, not a network namespace`;
  // No /proc (unusual sandbox): nothing to compare with.
  if (own.status === "fulfilled" && own.value.dev === t.dev && own.value.ino === t.ino) {
    return `CNI_NETNS ${path} is the plugin's own network namespace`;
  }
  return undefined;
}

/** Only names we could have created: prefix + hex, within IFNAMSIZ. Never eth0 from a forged prevResult. */
export function isOurHostVeth(name: string, vethPrefix: string): boolean {
  return name.length <= 15 && name.startsWith(vethPrefix) && /^[a-z0-9]+$/.test(name);
}

export type RemoveVeth = (name: string) => Promise<{ ok: boolean; detail: string }>;

export const removeHostVeth: RemoveVeth = async (name) => {
  const { execFile } = await import("node:child_process");
  return new Promise((resolve) => {
    execFile("ip", ["link", "del", name], { timeout: 5000 }, (err, _out, stderr) => {
      if (!err) resolve({ ok: true, detail: "deleted" });
      // Already gone (the namespace deletion took the veth with it): that is success for DEL.
      else if (/Cannot find device|does not exist/.test(stderr))
        resolve({ ok: true, detail: "already gone" });
      else resolve({ ok: false, detail: stderr.trim() || err.message });
    });
  });
};
