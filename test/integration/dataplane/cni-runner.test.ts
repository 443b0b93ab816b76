// The harness's libcni-like runner, exercised with Debian's reference plugins
// (independent of our own plugin): a chained conflist ptp(+host-local) -> tuning
// (sysctl from the config, MAC from a capability argument), run inside a "node"
// namespace for a pod namespace.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CniRunError, type ConfList, createCniRunner, type RuntimeConf } from "../../harness/cni-runner.ts";
import { createNetns, type TestNetns } from "../../support/netns.ts";
import { canUseNetns } from "../../support/privileges.ts";
import { links, pingLoss } from "./helpers.ts";

const haveRefPlugins = canUseNetns && existsSync("/usr/lib/cni/ptp") && existsSync("/usr/lib/cni/tuning");

describe.skipIf(!haveRefPlugins)("cni-runner with the reference plugins (chained)", () => {
  let node: TestNetns;
  let pod: TestNetns;
  let dataDir: string;
  let list: ConfList;
  let rt: RuntimeConf;
  let cached: Record<string, unknown>;
  const runner = () => createCniRunner({ cniPath: ["/usr/lib/cni"], netns: node.name });

  beforeAll(() => {
    node = createNetns("crn");
    pod = createNetns("crp");
    dataDir = mkdtempSync(join(tmpdir(), "vcni-runner-"));
    list = {
      cniVersion: "1.0.0",
      name: "refnet",
      plugins: [
        { type: "ptp", ipam: { type: "host-local", subnet: "10.99.0.0/24", dataDir } },
        {
          type: "tuning",
          sysctl: { "net.ipv4.conf.eth0.accept_redirects": "0" },
          capabilities: { mac: true },
        },
      ],
    };
    rt = {
      containerId: "c0ffee0000000000000000000000000000000000000000000000000000000001",
      netns: pod.path,
      ifName: "eth0",
      args: { IgnoreUnknown: "1", K8S_POD_NAMESPACE: "default", K8S_POD_NAME: "p1" },
      capabilityArgs: { mac: "02:42:ac:11:00:99", portMappings: [] },
    };
  });

  afterAll(() => {
    pod?.delete();
    node?.delete();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("ADD runs every plugin in order and returns the last result", async () => {
    const r = runner();
    cached = await r.add(list, rt);
    expect(r.calls.map((c) => c.plugin)).toEqual(["ptp", "tuning"]);
    const ips = cached["ips"] as { address: string }[];
    expect(ips[0]?.address).toMatch(/^10\.99\.0\.\d+\/24$/);
    // tuning found eth0 through prevResult and got only the capability it declared (mac).
    expect(links(pod.name).find((l) => l.ifname === "eth0")?.address).toBe("02:42:ac:11:00:99");
    const podIp = ips[0]!.address.split("/")[0]!;
    expect(pingLoss(node.name, podIp)).toBe(0);
  });

  it("CHECK passes the cached result to every plugin", async () => {
    await runner().check(list, rt, cached);
  });

  it("reports a plugin's error object as a typed CniRunError", async () => {
    const bad = {
      ...list,
      plugins: [{ type: "ptp", ipam: { type: "host-local", subnet: "not-a-cidr", dataDir } }],
    };
    const err = await runner()
      .add(bad, { ...rt, containerId: `${rt.containerId.slice(0, -1)}2` })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CniRunError);
    expect((err as CniRunError).plugin).toBe("ptp");
    const missing = await runner()
      .add({ ...list, plugins: [{ type: "no-such-plugin" }] }, rt)
      .catch((e: unknown) => e);
    expect((missing as Error).message).toContain("failed to find plugin");
  });

  it("DEL runs the plugins in reverse and removes the pod interface", async () => {
    const r = runner();
    await r.del(list, rt, cached);
    expect(r.calls.map((c) => c.plugin)).toEqual(["tuning", "ptp"]);
    expect(links(pod.name).map((l) => l.ifname)).not.toContain("eth0");
  });
});
