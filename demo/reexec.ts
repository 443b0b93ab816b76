// Network namespaces need root. When not root, the demo re-executes itself in
// `unshare -Urnm` (new user + network + mount namespaces, loopback brought up):
// there it is "root", and a private tmpfs on /run/netns lets `ip netns add`
// work (without it, `ip netns add` fails with "Permission denied" on
// /run/netns). Everything then lives and dies with that one process tree:
// nothing is left on the host even after a crash.
import { spawnSync } from "node:child_process";

const REEXEC = "VPC_CNI_DEMO_REEXEC";

export function ensureRootOrReexec(): void {
  if (process.getuid?.() === 0) return;
  if (process.env[REEXEC]) {
    console.error("demo: still not root inside `unshare -Urnm`; user namespaces may be disabled here.");
    process.exit(1);
  }
  console.error("demo: not root; re-running inside `unshare -Urnm` (private user/network/mount namespaces)");
  const r = spawnSync(
    "unshare",
    [
      "-Urnm",
      "sh",
      "-c",
      'ip link set lo up && mount -t tmpfs tmpfs /run/netns && exec "$0" "$@"',
      process.execPath,
      ...process.argv.slice(1),
    ],
    { stdio: "inherit", env: { ...process.env, [REEXEC]: "1" } },
  );
  if (r.error) console.error(`demo: cannot run unshare: ${r.error.message}`);
  process.exit(r.status ?? 1);
}
