import { describe, expect, it } from "vitest";
import {
  loadSettings,
  parseSettings,
  SETTINGS_DOC,
  type Settings,
  SettingsError,
  settingsMarkdownTable,
  toPoolSettings,
} from "../../../ipamd/config/settings.ts";

function ok(env: Record<string, string>): Readonly<Settings> {
  const r = loadSettings(env);
  if (!r.ok) throw r.error;
  return r.settings;
}

describe("settings: defaults", () => {
  it("an empty environment gives the AWS defaults", () => {
    const s = ok({});
    expect(s).toMatchObject({
      warmEniTarget: 1,
      warmIpTarget: undefined,
      minimumIpTarget: undefined,
      prefixDelegation: false,
      warmPrefixTarget: 0,
      maxEni: undefined,
      externalSnat: false,
      excludeSnatCidrs: [],
      mtu: 9001,
      vethPrefix: "eni",
      disableNetworkResourceProvisioning: false,
      customNetworking: false,
      eniConfigLabelDef: "topology.kubernetes.io/zone",
      randomizeSnat: "prng",
      clusterName: undefined,
      ipCooldownMs: 30_000,
      socketPath: "/run/vpc-cni/ipamd.sock",
      metricsAddress: { host: "0.0.0.0", port: 61678 },
      introspectionAddress: { host: "127.0.0.1", port: 61679 },
      stateDir: "/var/lib/vpc-cni",
      checkpointPath: "/var/lib/vpc-cni/ipam-checkpoint.json",
      nodeName: undefined,
    });
    expect(Object.isFrozen(s)).toBe(true);
  });
  it("WARM_PREFIX_TARGET defaults to 1 with prefix delegation", () => {
    expect(ok({ ENABLE_PREFIX_DELEGATION: "true" }).warmPrefixTarget).toBe(1);
  });
  it("empty values mean unset (as Helm renders them)", () => {
    expect(ok({ WARM_ENI_TARGET: "", AWS_VPC_ENI_MTU: "  " })).toMatchObject({ warmEniTarget: 1, mtu: 9001 });
  });
  it("0 for WARM_IP_TARGET / MINIMUM_IP_TARGET means unset (AWS)", () => {
    expect(ok({ WARM_IP_TARGET: "0", MINIMUM_IP_TARGET: "0" })).toMatchObject({
      warmIpTarget: undefined,
      minimumIpTarget: undefined,
    });
  });
});

type Valid = [name: string, value: string, field: keyof Settings, expected: unknown];
const valid: Valid[] = [
  ["WARM_ENI_TARGET", "0", "warmEniTarget", 0],
  ["WARM_ENI_TARGET", "3", "warmEniTarget", 3],
  ["WARM_IP_TARGET", "5", "warmIpTarget", 5],
  ["MINIMUM_IP_TARGET", "30", "minimumIpTarget", 30],
  ["ENABLE_PREFIX_DELEGATION", "true", "prefixDelegation", true],
  ["ENABLE_PREFIX_DELEGATION", "FALSE", "prefixDelegation", false],
  ["WARM_PREFIX_TARGET", "2", "warmPrefixTarget", 2],
  ["MAX_ENI", "2", "maxEni", 2],
  ["AWS_VPC_K8S_CNI_EXTERNALSNAT", "true", "externalSnat", true],
  [
    "AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS",
    "10.0.0.0/8, 192.168.1.0/24,",
    "excludeSnatCidrs",
    ["10.0.0.0/8", "192.168.1.0/24"],
  ],
  ["AWS_VPC_ENI_MTU", "576", "mtu", 576],
  ["AWS_VPC_ENI_MTU", "1500", "mtu", 1500],
  ["AWS_VPC_K8S_CNI_VETHPREFIX", "cali", "vethPrefix", "cali"],
  ["AWS_VPC_K8S_CNI_VETHPREFIX", "v", "vethPrefix", "v"],
  ["DISABLE_NETWORK_RESOURCE_PROVISIONING", "true", "disableNetworkResourceProvisioning", true],
  ["AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "true", "customNetworking", true],
  ["ENI_CONFIG_LABEL_DEF", "k8s.amazonaws.com/eniConfig", "eniConfigLabelDef", "k8s.amazonaws.com/eniConfig"],
  ["ENI_CONFIG_LABEL_DEF", "zone", "eniConfigLabelDef", "zone"],
  ["AWS_VPC_K8S_CNI_RANDOMIZESNAT", "none", "randomizeSnat", "none"],
  ["AWS_VPC_K8S_CNI_RANDOMIZESNAT", "hashrandom", "randomizeSnat", "hashrandom"],
  ["CLUSTER_NAME", "prod-1", "clusterName", "prod-1"],
  ["NODE_NAME", "ip-10-0-1-5.ec2.internal", "nodeName", "ip-10-0-1-5.ec2.internal"],
  ["VPC_CNI_IP_COOLDOWN_SECONDS", "0", "ipCooldownMs", 0],
  ["VPC_CNI_IP_COOLDOWN_SECONDS", "45", "ipCooldownMs", 45_000],
  ["VPC_CNI_SOCKET_PATH", "/tmp/x.sock", "socketPath", "/tmp/x.sock"],
  ["VPC_CNI_METRICS_ADDRESS", "10.0.0.1:9100", "metricsAddress", { host: "10.0.0.1", port: 9100 }],
  ["VPC_CNI_METRICS_ADDRESS", "[::]:9100", "metricsAddress", { host: "::", port: 9100 }],
  ["VPC_CNI_INTROSPECTION_ADDRESS", "localhost:1", "introspectionAddress", { host: "localhost", port: 1 }],
  ["VPC_CNI_INTROSPECTION_ADDRESS", "[::1]:61679", "introspectionAddress", { host: "::1", port: 61679 }],
  [
    "VPC_CNI_INTROSPECTION_ADDRESS",
    "127.0.0.2:61679",
    "introspectionAddress",
    { host: "127.0.0.2", port: 61679 },
  ],
  ["VPC_CNI_STATE_DIR", "/data/cni/", "checkpointPath", "/data/cni/ipam-checkpoint.json"],
  ["VPC_CNI_RECONCILE_INTERVAL_SECONDS", "5", "reconcileIntervalMs", 5000],
  ["VPC_CNI_MIN_ENI_AGE_SECONDS", "0", "minEniAgeMs", 0],
  ["VPC_CNI_SCALE_DOWN_INTERVAL_SECONDS", "120", "scaleDownIntervalMs", 120_000],
  ["VPC_CNI_SUBNET_BACKOFF_SECONDS", "300", "subnetBackoffMs", 300_000],
  ["VPC_CNI_LEAKED_ENI_DELAY_SECONDS", "3600", "leakedEniDelayMs", 3_600_000],
];

describe("settings: valid values", () => {
  it.each(valid)("%s=%j", (name, value, field, expected) => {
    expect(ok({ [name]: value })[field]).toEqual(expected);
  });
});

const invalid: [name: string, value: string, accepts: string][] = [
  ["WARM_ENI_TARGET", "-1", "whole number"],
  ["WARM_ENI_TARGET", "1.5", "whole number"],
  ["WARM_IP_TARGET", "five", "whole number"],
  ["MINIMUM_IP_TARGET", "1e3", "whole number"],
  ["ENABLE_PREFIX_DELEGATION", "yes", "true or false"],
  ["ENABLE_PREFIX_DELEGATION", "1", "true or false"],
  ["WARM_PREFIX_TARGET", "x", "whole number"],
  ["MAX_ENI", "0", "from 1 to"],
  ["AWS_VPC_K8S_CNI_EXTERNALSNAT", "on", "true or false"],
  ["AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS", "10.0.0.0/33", "IPv4 CIDRs"],
  ["AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS", "10.0.0.0", "IPv4 CIDRs"],
  ["AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS", "10.0.0.0/8,foo", "IPv4 CIDRs"],
  ["AWS_VPC_ENI_MTU", "575", "576 to 9001"],
  ["AWS_VPC_ENI_MTU", "9002", "576 to 9001"],
  ["AWS_VPC_K8S_CNI_VETHPREFIX", "eth", 'not "eth"'],
  ["AWS_VPC_K8S_CNI_VETHPREFIX", "lo", "1 to 4"],
  ["AWS_VPC_K8S_CNI_VETHPREFIX", "vlan", "1 to 4"],
  ["AWS_VPC_K8S_CNI_VETHPREFIX", "abcde", "1 to 4"],
  ["AWS_VPC_K8S_CNI_VETHPREFIX", "a/b", "1 to 4"],
  ["DISABLE_NETWORK_RESOURCE_PROVISIONING", "nope", "true or false"],
  ["AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "enabled", "true or false"],
  ["ENI_CONFIG_LABEL_DEF", "a/b/c", "label key"],
  ["ENI_CONFIG_LABEL_DEF", "-zone", "label key"],
  ["AWS_VPC_K8S_CNI_RANDOMIZESNAT", "random", "none, hashrandom, prng"],
  ["NODE_NAME", "Bad_Name", "node name"],
  ["VPC_CNI_IP_COOLDOWN_SECONDS", "3601", "0 to 3600"],
  ["VPC_CNI_SOCKET_PATH", "relative.sock", "absolute path"],
  ["VPC_CNI_METRICS_ADDRESS", "61678", "host:port"],
  ["VPC_CNI_METRICS_ADDRESS", "0.0.0.0:70000", "host:port"],
  ["VPC_CNI_METRICS_ADDRESS", "300.0.0.1:80", "host:port"],
  ["VPC_CNI_INTROSPECTION_ADDRESS", "0.0.0.0:61679", "loopback"],
  ["VPC_CNI_INTROSPECTION_ADDRESS", "10.0.0.1:61679", "loopback"],
  ["VPC_CNI_STATE_DIR", "var/lib", "absolute path"],
  ["VPC_CNI_RECONCILE_INTERVAL_SECONDS", "1", "5 to"],
  ["VPC_CNI_MIN_ENI_AGE_SECONDS", "-5", "whole number"],
  ["VPC_CNI_SCALE_DOWN_INTERVAL_SECONDS", "1m", "whole number"],
  ["VPC_CNI_SUBNET_BACKOFF_SECONDS", "999999", "whole number"],
  ["VPC_CNI_LEAKED_ENI_DELAY_SECONDS", "10", "60 to"],
];

describe("settings: invalid values name the variable, the value and what is accepted", () => {
  it.each(invalid)("%s=%j", (name, value, accepts) => {
    const r = loadSettings({ [name]: value });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(SettingsError);
    expect(r.error.problems).toHaveLength(1);
    expect(r.error.problems[0]).toMatchObject({ name, value });
    expect(r.error.problems[0]?.accepts).toContain(accepts);
    expect(r.error.message).toContain(`${name}=${JSON.stringify(value)}`);
  });

  it("collects every problem at once", () => {
    const env = Object.fromEntries(invalid.map(([n, v]) => [n, v]));
    const r = loadSettings(env);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(new Set(r.error.problems.map((p) => p.name))).toEqual(new Set(invalid.map(([n]) => n)));
  });

  it("parseSettings throws the same typed error", () => {
    expect(() => parseSettings({ AWS_VPC_ENI_MTU: "x", MAX_ENI: "0" })).toThrow(SettingsError);
    expect(() => parseSettings({ AWS_VPC_ENI_MTU: "x", MAX_ENI: "0" })).toThrow(
      /invalid ipamd settings \(2\)/,
    );
    expect(() => parseSettings({ AWS_VPC_ENI_MTU: "x" })).toThrow(
      /AWS_VPC_ENI_MTU="x": expected a whole number from 576 to 9001/,
    );
  });
});

describe("VPC_CNI_EC2_RATE_FRACTION", () => {
  it("defaults to the EC2 client's 0.2, accepts (0, 1], refuses the rest", () => {
    expect(ok({}).ec2RateFraction).toBe(0.2);
    expect(ok({ VPC_CNI_EC2_RATE_FRACTION: "0.05" }).ec2RateFraction).toBe(0.05);
    expect(loadSettings({ VPC_CNI_EC2_RATE_FRACTION: "0" }).ok).toBe(false);
    expect(loadSettings({ VPC_CNI_EC2_RATE_FRACTION: "2" }).ok).toBe(false);
  });
});

describe("SETTINGS_DOC", () => {
  it("lists exactly the variables the parser reads", () => {
    const read = new Set<string>();
    const env = new Proxy({} as Record<string, string | undefined>, {
      get(_t, k) {
        if (typeof k === "string") read.add(k);
        return undefined;
      },
    });
    loadSettings(env);
    expect(new Set(SETTINGS_DOC.map((d) => d.name))).toEqual(read);
    expect(SETTINGS_DOC.length).toBe(read.size); // no duplicates
  });

  it("every documented default parses and is what an empty environment gives", () => {
    const defaults = ok({});
    for (const d of SETTINGS_DOC) {
      expect(d.meaning.length).toBeGreaterThan(10);
      if (d.default === "" || d.name === "WARM_PREFIX_TARGET") continue;
      expect(loadSettings({ [d.name]: d.default }).ok, d.name).toBe(true);
      expect(ok({ [d.name]: d.default }), d.name).toEqual(defaults);
    }
  });

  it("toPoolSettings carries the planner's fields", () => {
    const s = ok({ WARM_IP_TARGET: "3", MAX_ENI: "2", VPC_CNI_MIN_ENI_AGE_SECONDS: "10" });
    expect(toPoolSettings(s)).toMatchObject({
      warmIpTarget: 3,
      maxEni: 2,
      minEniAgeMs: 10_000,
      warmEniTarget: 1,
    });
  });
});

describe("settingsMarkdownTable", () => {
  it("has one row per documented variable", () => {
    const lines = settingsMarkdownTable().split("\n");
    expect(lines).toHaveLength(SETTINGS_DOC.length + 2);
    for (const d of SETTINGS_DOC) expect(lines.some((l) => l.startsWith(`| \`${d.name}\` |`))).toBe(true);
  });
});
