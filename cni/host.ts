// The only thing the plugin does to the host itself: removeHostVeth, DEL's
// fallback when ipamd is unreachable. It deletes the host end of the pod's
// veth named in prevResult, so a dead daemon does not leave stale links and
// routes behind; the address is released later by ipamd's GC/reconcile.
// Spawns `ip` only on this rare path.
//
// CNI_NETNS is checked by ipamd (hostnet/netns.ts openPodNetns: missing,
// a directory, the node's own namespace), not here: under Bun a stat is a hop
// to a worker thread that it must first create, ~0.5 ms of every ADD
// (bench/profile: 11.55 -> 11.06 ms p50 with a stand-in ipamd).

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
