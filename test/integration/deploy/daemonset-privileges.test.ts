// The DaemonSet must grant what ipamd's host-side code needs. Reads the
// container's securityContext from deploy/base/daemonset.yaml, runs ipamd's
// own node set-up and pod plumbing in a child process confined as a container
// runtime would confine that container (capability bounding set; /proc/sys
// read-only unless privileged), inside a throwaway node namespace.
// With NET_ADMIN+NET_RAW only, setns into the pod's namespace fails (EPERM).
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { createNetns, type TestNetns } from "../../support/netns.ts";
import { canUseNetns } from "../../support/privileges.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
/** containerd's and CRI-O's default capabilities for a container (OCI runtime spec defaults). */
const RUNTIME_DEFAULT_CAPS = [
  "CHOWN",
  "DAC_OVERRIDE",
  "FSETID",
  "FOWNER",
  "MKNOD",
  "NET_RAW",
  "SETGID",
  "SETUID",
  "SETFCAP",
  "SETPCAP",
  "NET_BIND_SERVICE",
  "SYS_CHROOT",
  "KILL",
  "AUDIT_WRITE",
];

interface SecurityContext {
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
}

function ipamdSecurityContext(): SecurityContext {
  const docs = parseAllDocuments(readFileSync(here("../../../deploy/base/daemonset.yaml"), "utf8"));
  const ds = docs[0]!.toJS() as {
    spec: { template: { spec: { containers: { name: string; securityContext?: SecurityContext }[] } } };
  };
  const c = ds.spec.template.spec.containers.find((x) => x.name === "ipamd");
  if (!c) throw new Error("daemonset.yaml has no ipamd container");
  return c.securityContext ?? {};
}

/** The shell command that confines `cmd` as a runtime confines a container with `sc`. */
function confined(sc: SecurityContext, cmd: string[]): string {
  const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  if (sc.privileged) return cmd.map(q).join(" ");
  const drop = new Set((sc.capabilities?.drop ?? []).map((c) => c.toUpperCase()));
  const caps = [...RUNTIME_DEFAULT_CAPS, ...(sc.capabilities?.add ?? [])]
    .map((c) => c.toUpperCase())
    .filter((c) => !drop.has(c) && !drop.has("ALL"));
  const bounding = ["-all", ...caps.map((c) => `+${c.toLowerCase()}`)].join(",");
  // runc: /proc/sys is a read-only bind mount in an unprivileged container.
  return [
    "mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys &&",
    `exec setpriv --inh-caps=-all --bounding-set=${bounding} --`,
    ...cmd.map(q),
  ].join(" ");
}

describe.skipIf(!canUseNetns)("the DaemonSet's privileges suffice for ipamd's host-side work", () => {
  let node: TestNetns;
  let pod: TestNetns;
  beforeAll(() => {
    node = createNetns("prn");
    pod = createNetns("prp");
  });
  afterAll(() => {
    pod?.delete();
    node?.delete();
  });

  it("node set-up (sysctls, iptables) and a pod's plumbing succeed as the container would run them", () => {
    const sc = ipamdSecurityContext();
    const child = [process.execPath, here("./privileged-child.ts"), pod.path];
    const r = spawnSync(
      "ip",
      [
        "netns",
        "exec",
        node.name,
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        confined(sc, child),
      ],
      { encoding: "utf8", timeout: 30_000 },
    );
    expect(`${r.stdout}${r.stderr}`.trim()).toBe("ok");
    expect(r.status).toBe(0);
    // And it really did the work, in the node's namespace.
    expect(
      execFileSync("ip", ["-n", node.name, "route", "show", "10.0.1.20/32"], { encoding: "utf8" }),
    ).toContain("privt0");
  });
});
