// ipamd's node setup at start: the SNAT configuration built from the settings
// and the primary ENI as IMDS shows it (pure), and the retry loop that keeps
// ipamd not ready with the reason until the node is set up.
import { describe, expect, it } from "vitest";
import { parseSettings } from "../../../ipamd/config/settings.ts";
import {
  type NodeSetupEffects,
  NodeSetupError,
  nodeSetupConfig,
  type PrimaryEniView,
  waitForNodeSetup,
} from "../../../ipamd/daemon/node-setup-step.ts";
import type { NodeSetupConfig } from "../../../ipamd/hostnet/node-setup.ts";
import { silentLogger } from "../../../ipamd/log.ts";

const primary: PrimaryEniView = {
  mac: "02:00:0a:00:01:0a",
  localIpv4s: ["10.0.1.10", "10.0.1.20", "10.0.1.21"],
  vpcCidrs: ["10.0.0.0/16", "100.64.0.0/16"],
};

describe("nodeSetupConfig (settings + IMDS -> setupNode's input)", () => {
  it("defaults: SNAT to the primary ENI's primary IP, VPC CIDRs exempt, --random-fully, rp_filter on its interface", () => {
    expect(nodeSetupConfig(parseSettings({}), primary, "ens5")).toEqual({
      primaryInterface: "ens5",
      snat: {
        primaryIp: "10.0.1.10",
        vpcCidrs: ["10.0.0.0/16", "100.64.0.0/16"],
        excludeCidrs: [],
        randomMode: "prng",
        externalSnat: false,
      },
    });
  });

  it("carries AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS, _RANDOMIZESNAT and _EXTERNALSNAT", () => {
    const s = parseSettings({
      AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS: "203.0.113.0/24,198.51.100.0/24",
      AWS_VPC_K8S_CNI_RANDOMIZESNAT: "hashrandom",
      AWS_VPC_K8S_CNI_EXTERNALSNAT: "true",
    });
    expect(nodeSetupConfig(s, primary, "eth0").snat).toEqual({
      primaryIp: "10.0.1.10",
      vpcCidrs: ["10.0.0.0/16", "100.64.0.0/16"],
      excludeCidrs: ["203.0.113.0/24", "198.51.100.0/24"],
      randomMode: "hashrandom",
      externalSnat: true,
    });
  });

  it("does not share the settings' or IMDS's arrays", () => {
    const s = parseSettings({ AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS: "203.0.113.0/24" });
    const cfg = nodeSetupConfig(s, primary, "eth0");
    expect(cfg.snat.vpcCidrs).not.toBe(primary.vpcCidrs);
    expect(cfg.snat.excludeCidrs).not.toBe(s.excludeSnatCidrs);
  });

  it("refuses a primary ENI without a private IP, naming local-ipv4s", () => {
    expect(() => nodeSetupConfig(parseSettings({}), { ...primary, localIpv4s: [] }, "eth0")).toThrow(
      /no private IPv4 address on the primary ENI 02:00:0a:00:01:0a \(local-ipv4s is empty\)/,
    );
  });

  it("refuses a primary ENI without VPC CIDRs, unless SNAT is external", () => {
    const noCidr = { ...primary, vpcCidrs: [] };
    expect(() => nodeSetupConfig(parseSettings({}), noCidr, "eth0")).toThrow(NodeSetupError);
    expect(() => nodeSetupConfig(parseSettings({}), noCidr, "eth0")).toThrow(/vpc-ipv4-cidr-blocks/);
    const ext = nodeSetupConfig(parseSettings({ AWS_VPC_K8S_CNI_EXTERNALSNAT: "true" }), noCidr, "eth0");
    expect(ext.snat.externalSnat).toBe(true);
  });
});

/** Effects that fail as scripted (one entry per attempt; undefined = works), recording what ran. */
function scripted(failures: (string | undefined)[], over: Partial<NodeSetupEffects> = {}) {
  const applied: NodeSetupConfig[] = [];
  let attempt = 0;
  let imdsReads = 0;
  const effects: NodeSetupEffects = {
    primaryEni: async () => {
      imdsReads++;
      return primary;
    },
    interfaceByMac: async () => "eth0",
    setupNode: async (cfg) => {
      const f = failures[attempt++];
      if (f !== undefined) throw new Error(f);
      applied.push(cfg);
    },
    ...over,
  };
  return { effects, applied, imdsReads: () => imdsReads };
}

describe("waitForNodeSetup (retries until the node is set up)", () => {
  const base = { settings: parseSettings({}), primary, log: silentLogger(), retryMs: [1] };

  it("sets the node up once when it works, with the IMDS data the daemon read", async () => {
    const fx = scripted([]);
    const reasons: string[] = [];
    const cfg = await waitForNodeSetup({
      ...base,
      effects: fx.effects,
      signal: new AbortController().signal,
      onFailure: (r) => reasons.push(r),
    });
    expect(cfg.snat.primaryIp).toBe("10.0.1.10");
    expect(cfg.primaryInterface).toBe("eth0");
    expect(fx.applied).toEqual([cfg]);
    expect(reasons).toEqual([]);
    expect(fx.imdsReads()).toBe(0);
  });

  it("reports each failure as the not-ready reason and retries, re-reading IMDS", async () => {
    const fx = scripted([
      "iptables-restore --noflush -w 5 exited 4: no nat table",
      "spawn iptables-save ENOENT",
    ]);
    const reasons: string[] = [];
    await waitForNodeSetup({
      ...base,
      effects: fx.effects,
      signal: new AbortController().signal,
      onFailure: (r) => reasons.push(r),
    });
    expect(reasons).toEqual([
      "node network setup (ip_forward, rp_filter, SNAT) failed, retrying: iptables-restore --noflush -w 5 exited 4: no nat table",
      "node network setup (ip_forward, rp_filter, SNAT) failed, retrying: spawn iptables-save ENOENT",
    ]);
    expect(fx.applied).toHaveLength(1);
    expect(fx.imdsReads()).toBe(2);
  });

  it("waits for the primary ENI's interface, naming its MAC", async () => {
    let lookups = 0;
    const fx = scripted([], { interfaceByMac: async () => (++lookups < 3 ? undefined : "ens5") });
    const reasons: string[] = [];
    const cfg = await waitForNodeSetup({
      ...base,
      effects: fx.effects,
      signal: new AbortController().signal,
      onFailure: (r) => reasons.push(r),
    });
    expect(cfg.primaryInterface).toBe("ens5");
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toMatch(/no interface with the primary ENI's MAC 02:00:0a:00:01:0a/);
  });

  it("a bad IMDS answer is retried with what IMDS says next", async () => {
    const fx = scripted([], {});
    const reads = [{ ...primary, vpcCidrs: [] }, primary];
    const reasons: string[] = [];
    const cfg = await waitForNodeSetup({
      ...base,
      primary: { ...primary, vpcCidrs: [] },
      effects: { ...fx.effects, primaryEni: async () => reads.shift() },
      signal: new AbortController().signal,
      onFailure: (r) => reasons.push(r),
    });
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toMatch(/vpc-ipv4-cidr-blocks/);
    expect(cfg.snat.vpcCidrs).toEqual(primary.vpcCidrs);
  });

  it("stop() during the wait ends it with the abort, not another attempt", async () => {
    const ac = new AbortController();
    let attempts = 0;
    const fx = scripted([], {
      setupNode: async () => {
        attempts++;
        throw new Error("iptables refused");
      },
    });
    const wait = waitForNodeSetup({ ...base, retryMs: [60_000], effects: fx.effects, signal: ac.signal });
    await new Promise((r) => setTimeout(r, 20));
    ac.abort(new Error("stopping"));
    await expect(wait).rejects.toThrow("stopping");
    expect(attempts).toBe(1);
  });
});
