// The only things the plugin does to the host itself, both cheap or rare:
//  - checkNetns: ADD/CHECK refuse a missing namespace or the plugin's own one
//    (libcni's skel does the same), one stat each.
//  - removeHostVeth: DEL's fallback when ipamd is unreachable. It deletes the
//    host end of the pod's veth named in prevResult, so a dead daemon does not
//    leave stale links and routes behind; the address is released later by
//    ipamd's GC/reconcile. Spawns `ip` only on this rare path.
import { statSync } from "node:fs";

export function checkNetns(path: string): string | undefined {
  let target: { dev: number; ino: number };
  try {
    const st = statSync(path);
    // A namespace handle is an nsfs file; a directory (e.g. "/") never is.
    if (st.isDirectory()) return `CNI_NETNS ${path} is a directory, not a network namespace`;
    target = st;
  } catch (e) {
    return `network namespace ${path} is not accessible: ${(e as Error).message}`;
  }
  try {
    const own = statSync("/proc/self/ns/net");
    if (own.dev === target.dev && own.ino === target.ino) {
      return `CNI_NETNS ${path} is the plugin's own network namespace`;
    }
  } catch {
    // No /proc (unusual sandbox): nothing to compare with.
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
