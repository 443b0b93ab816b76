import { describe, expect, it } from "vitest";
import {
  AWS_VARIABLES,
  implementedSettingsTable,
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
      podMtu: 9001,
      vethPrefix: "eni",
      disableNetworkResourceProvisioning: false,
      disableLeakedEniCleanup: false,
      leakedEniCleanup: true,
      disableMetrics: false,
      disableIntrospection: false,
      customNetworking: false,
      eniConfigLabelDef: "k8s.amazonaws.com/eniConfig",
      eniConfigAnnotationDef: "k8s.amazonaws.com/eniConfig",
      randomizeSnat: "prng",
      clusterName: undefined,
      ignoredAwsSettings: [],
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
  ["MAX_ENI", "+3", "maxEni", 3],
  ["MAX_ENI", "1000", "maxEni", 1000],
  // AWS: "unset or 0 (or lower): the setting is not used".
  ["MAX_ENI", "0", "maxEni", undefined],
  ["MAX_ENI", "-1", "maxEni", undefined],
  ["MAX_ENI", "-100", "maxEni", undefined],
  ["AWS_VPC_K8S_CNI_EXTERNALSNAT", "true", "externalSnat", true],
  [
    "AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS",
    "10.0.0.0/8, 192.168.1.0/24,",
    "excludeSnatCidrs",
    ["10.0.0.0/8", "192.168.1.0/24"],
  ],
  ["AWS_VPC_ENI_MTU", "576", "mtu", 576],
  ["AWS_VPC_ENI_MTU", "1500", "mtu", 1500],
  ["AWS_VPC_ENI_MTU", "1500", "podMtu", 1500], // POD_MTU defaults to AWS_VPC_ENI_MTU
  ["POD_MTU", "1500", "podMtu", 1500],
  ["POD_MTU", "576", "podMtu", 576],
  ["POD_MTU", "9001", "podMtu", 9001],
  ["POD_MTU", "1500", "mtu", 9001], // the ENIs keep AWS_VPC_ENI_MTU
  ["DISABLE_LEAKED_ENI_CLEANUP", "true", "disableLeakedEniCleanup", true],
  ["DISABLE_METRICS", "true", "disableMetrics", true],
  ["DISABLE_METRICS", "false", "disableMetrics", false],
  ["DISABLE_INTROSPECTION", "1", "disableIntrospection", true],
  ["IP_COOLDOWN_PERIOD", "0", "ipCooldownMs", 0],
  ["IP_COOLDOWN_PERIOD", "45", "ipCooldownMs", 45_000],
  [
    "INTROSPECTION_BIND_ADDRESS",
    "127.0.0.1:61671",
    "introspectionAddress",
    { host: "127.0.0.1", port: 61671 },
  ],
  ["AWS_VPC_K8S_CNI_VETHPREFIX", "cali", "vethPrefix", "cali"],
  ["AWS_VPC_K8S_CNI_VETHPREFIX", "v", "vethPrefix", "v"],
  ["DISABLE_NETWORK_RESOURCE_PROVISIONING", "true", "disableNetworkResourceProvisioning", true],
  ["AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "true", "customNetworking", true],
  ["ENI_CONFIG_LABEL_DEF", "topology.kubernetes.io/zone", "eniConfigLabelDef", "topology.kubernetes.io/zone"],
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
  ["ENABLE_PREFIX_DELEGATION", "tRuE", "true or false"],
  ["WARM_PREFIX_TARGET", "x", "whole number"],
  ["WARM_PREFIX_TARGET", "-1", "whole number"],
  ["MAX_ENI", "x", "whole number up to 1000"],
  ["MAX_ENI", "1.5", "whole number up to 1000"],
  ["MAX_ENI", "1e3", "whole number up to 1000"],
  ["MAX_ENI", "1001", "whole number up to 1000"],
  ["MAX_ENI", "--1", "whole number up to 1000"],
  ["AWS_VPC_K8S_CNI_EXTERNALSNAT", "on", "true or false"],
  ["AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS", "10.0.0.0/33", "IPv4 CIDRs"],
  ["AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS", "10.0.0.0", "IPv4 CIDRs"],
  ["AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS", "10.0.0.0/8,foo", "IPv4 CIDRs"],
  ["AWS_VPC_ENI_MTU", "575", "576 to 9001"],
  ["AWS_VPC_ENI_MTU", "9002", "576 to 9001"],
  ["POD_MTU", "575", "576 to 9001"],
  ["POD_MTU", "jumbo", "576 to 9001"],
  ["DISABLE_LEAKED_ENI_CLEANUP", "yes", "true or false"],
  ["DISABLE_METRICS", "on", "true or false"],
  ["DISABLE_INTROSPECTION", "2", "true or false"],
  ["IP_COOLDOWN_PERIOD", "-1", "0 to 3600"],
  ["IP_COOLDOWN_PERIOD", "30s", "0 to 3600"],
  ["INTROSPECTION_BIND_ADDRESS", "unix:/run/ipamd-introspection.sock", "unix: socket is not supported"],
  ["INTROSPECTION_BIND_ADDRESS", "169.254.1.1:61679", "loopback"],
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
    expect(() => parseSettings({ AWS_VPC_ENI_MTU: "x", MAX_ENI: "x" })).toThrow(SettingsError);
    expect(() => parseSettings({ AWS_VPC_ENI_MTU: "x", MAX_ENI: "x" })).toThrow(
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
    const listed = [...SETTINGS_DOC.map((d) => d.name), ...AWS_VARIABLES.map((v) => v.name)];
    expect(new Set(listed)).toEqual(read);
    expect(listed.length).toBe(read.size); // no duplicates, none in both tables
  });

  it("every documented default parses and is what an empty environment gives", () => {
    const defaults = ok({});
    for (const d of SETTINGS_DOC) {
      expect(d.meaning.length).toBeGreaterThan(10);
      if (d.default === "" || d.derivedDefault) continue;
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
    const lines = implementedSettingsTable().split("\n");
    expect(lines).toHaveLength(SETTINGS_DOC.length + 2);
    for (const d of SETTINGS_DOC) expect(lines.some((l) => l.startsWith(`| \`${d.name}\` |`))).toBe(true);
  });
  it("the README block holds both tables: one row per setting, then one per AWS VPC CNI variable not implemented", () => {
    const lines = settingsMarkdownTable().split("\n");
    expect(lines).toHaveLength(SETTINGS_DOC.length + 2 + 3 + AWS_VARIABLES.length + 2);
    for (const v of AWS_VARIABLES)
      expect(lines.filter((l) => l.startsWith(`| \`${v.name}\` |`))).toHaveLength(1);
  });
});

describe("booleans: exactly Go's strconv.ParseBool spellings (as the AWS VPC CNI)", () => {
  const truths = ["1", "t", "T", "TRUE", "true", "True", " true "];
  const falsehoods = ["0", "f", "F", "FALSE", "false", "False"];
  const neither = ["yes", "no", "on", "off", "tRuE", "fAlSe", "y", "2", "-1", "enabled", "truee"];
  const names = [
    "ENABLE_PREFIX_DELEGATION",
    "AWS_VPC_K8S_CNI_EXTERNALSNAT",
    "DISABLE_NETWORK_RESOURCE_PROVISIONING",
    "DISABLE_LEAKED_ENI_CLEANUP",
    "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG",
    "DISABLE_METRICS",
    "DISABLE_INTROSPECTION",
    "VPC_CNI_GROW_FOR_SCHEDULED_PODS",
  ] as const;
  const field: Record<(typeof names)[number], keyof Settings> = {
    ENABLE_PREFIX_DELEGATION: "prefixDelegation",
    AWS_VPC_K8S_CNI_EXTERNALSNAT: "externalSnat",
    DISABLE_NETWORK_RESOURCE_PROVISIONING: "disableNetworkResourceProvisioning",
    DISABLE_LEAKED_ENI_CLEANUP: "disableLeakedEniCleanup",
    AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: "customNetworking",
    DISABLE_METRICS: "disableMetrics",
    DISABLE_INTROSPECTION: "disableIntrospection",
    VPC_CNI_GROW_FOR_SCHEDULED_PODS: "growForScheduledPods",
  };
  const cases: [name: (typeof names)[number], value: string, expected: boolean | "refused"][] = names.flatMap(
    (n) => [
      ...truths.map((v): [typeof n, string, true] => [n, v, true]),
      ...falsehoods.map((v): [typeof n, string, false] => [n, v, false]),
      ...neither.map((v): [typeof n, string, "refused"] => [n, v, "refused"]),
    ],
  );
  it.each(cases)("%s=%j -> %s", (name, value, expected) => {
    const r = loadSettings({ [name]: value });
    if (expected === "refused") {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.problems).toEqual([expect.objectContaining({ name, value })]);
      return;
    }
    expect(r.ok && r.settings[field[name]]).toBe(expected);
  });
});

describe("two names for one setting: either, or both with the same value", () => {
  const cases: [env: Record<string, string>, expected: number | "refused"][] = [
    [{ IP_COOLDOWN_PERIOD: "10" }, 10_000],
    [{ VPC_CNI_IP_COOLDOWN_SECONDS: "10" }, 10_000],
    [{ IP_COOLDOWN_PERIOD: "10", VPC_CNI_IP_COOLDOWN_SECONDS: "10" }, 10_000],
    [{ IP_COOLDOWN_PERIOD: "10", VPC_CNI_IP_COOLDOWN_SECONDS: "010" }, 10_000], // same number
    [{ IP_COOLDOWN_PERIOD: "", VPC_CNI_IP_COOLDOWN_SECONDS: "10" }, 10_000], // empty = unset
    [{ IP_COOLDOWN_PERIOD: "0", VPC_CNI_IP_COOLDOWN_SECONDS: "30" }, "refused"],
    [{ IP_COOLDOWN_PERIOD: "45", VPC_CNI_IP_COOLDOWN_SECONDS: "30" }, "refused"],
  ];
  it.each(cases)("cooldown %j -> %s", (env, expected) => {
    const r = loadSettings(env);
    if (expected !== "refused") {
      expect(r.ok && r.settings.ipCooldownMs).toBe(expected);
      return;
    }
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.problems).toHaveLength(1);
    expect(r.error.message).toContain(
      `VPC_CNI_IP_COOLDOWN_SECONDS=${JSON.stringify(env.VPC_CNI_IP_COOLDOWN_SECONDS)}`,
    );
    expect(r.error.message).toContain(`IP_COOLDOWN_PERIOD=${JSON.stringify(env.IP_COOLDOWN_PERIOD)}`);
  });

  const addr: [env: Record<string, string>, expected: string | "refused"][] = [
    [{ INTROSPECTION_BIND_ADDRESS: "127.0.0.1:61671" }, "127.0.0.1:61671"],
    [{ VPC_CNI_INTROSPECTION_ADDRESS: "127.0.0.1:61671" }, "127.0.0.1:61671"],
    [
      { INTROSPECTION_BIND_ADDRESS: "127.0.0.1:61671", VPC_CNI_INTROSPECTION_ADDRESS: " 127.0.0.1:61671" },
      "127.0.0.1:61671",
    ],
    [
      { INTROSPECTION_BIND_ADDRESS: "127.0.0.1:61671", VPC_CNI_INTROSPECTION_ADDRESS: "127.0.0.1:61679" },
      "refused",
    ],
    [
      { INTROSPECTION_BIND_ADDRESS: "localhost:61679", VPC_CNI_INTROSPECTION_ADDRESS: "127.0.0.1:61679" },
      "refused",
    ],
  ];
  it.each(addr)("introspection %j -> %s", (env, expected) => {
    const r = loadSettings(env);
    if (expected === "refused") {
      expect(r.ok).toBe(false);
      if (!r.ok)
        expect(r.error.message).toMatch(/VPC_CNI_INTROSPECTION_ADDRESS=.*INTROSPECTION_BIND_ADDRESS=/);
      return;
    }
    expect(r.ok && `${r.settings.introspectionAddress.host}:${r.settings.introspectionAddress.port}`).toBe(
      expected,
    );
  });

  it("a bad value under either name is reported under that name only", () => {
    const r = loadSettings({ IP_COOLDOWN_PERIOD: "x", VPC_CNI_IP_COOLDOWN_SECONDS: "30" });
    expect(r.ok ? [] : r.error.problems.map((p) => p.name)).toEqual(["IP_COOLDOWN_PERIOD"]);
  });
});

describe("leakedEniCleanup (AWS disableLeakedENICleanup())", () => {
  const cases: [
    disableLeaked: string | undefined,
    disableProvisioning: string | undefined,
    expected: boolean,
  ][] = [
    [undefined, undefined, true],
    ["false", "false", true],
    ["true", undefined, false],
    [undefined, "true", false],
    ["true", "true", false],
    ["false", "true", false],
  ];
  it.each(cases)(
    "DISABLE_LEAKED_ENI_CLEANUP=%s DISABLE_NETWORK_RESOURCE_PROVISIONING=%s -> %s",
    (a, b, expected) => {
      const env: Record<string, string> = {};
      if (a !== undefined) env.DISABLE_LEAKED_ENI_CLEANUP = a;
      if (b !== undefined) env.DISABLE_NETWORK_RESOURCE_PROVISIONING = b;
      expect(ok(env).leakedEniCleanup).toBe(expected);
    },
  );
});

describe("AWS VPC CNI variables not implemented (AWS_VARIABLES)", () => {
  it("a stock aws-node env (every variable at its AWS default) is accepted", () => {
    const env = Object.fromEntries(
      AWS_VARIABLES.filter((v) => v.awsDefault !== "").map((v) => [v.name, v.awsDefault]),
    );
    const r = loadSettings(env);
    expect(r.ok ? "" : r.error.message).toBe("");
  });

  // [name, value, outcome]: "exact" = accepted, acts as on AWS; "noted" = accepted, listed in
  // ignoredAwsSettings (no effect here, or not as on AWS); else refused, the message containing it.
  const cases: [name: string, value: string, outcome: "exact" | "noted" | { refused: string }][] = [
    ["ENABLE_POD_ENI", "false", "exact"],
    ["ENABLE_POD_ENI", "0", "exact"],
    [
      "ENABLE_POD_ENI",
      "true",
      { refused: "not supported here: security groups for pods (trunk and branch ENIs)" },
    ],
    ["ENABLE_POD_ENI", "T", { refused: "not supported here" }],
    ["ENABLE_POD_ENI", "yes", { refused: "true or false" }],
    ["ENABLE_IPv6", "false", "exact"],
    ["ENABLE_IPv6", "true", { refused: "not supported here: IPv6 pod addressing" }],
    ["ENABLE_IPv4", "true", "exact"],
    ["ENABLE_IPv4", "false", { refused: "not supported here: turning IPv4 off; IPv4 is the only mode" }],
    ["ENABLE_V6_EGRESS", "true", { refused: "not supported here" }],
    ["ENABLE_V6_EGRESS", "false", "exact"],
    ["DISABLE_POD_V6", "true", { refused: "not supported here" }],
    ["ENABLE_BANDWIDTH_PLUGIN", "true", { refused: "not supported here: chaining the bandwidth plugin" }],
    ["ENABLE_BANDWIDTH_PLUGIN", "False", "exact"],
    ["ANNOTATE_POD_IP", "true", { refused: "not supported here" }],
    ["ENABLE_MULTI_NIC", "true", { refused: "not supported here" }],
    ["ENABLE_IMDS_ONLY_MODE", "true", { refused: "not supported here" }],
    ["MANAGE_UNTAGGED_ENI", "true", "exact"],
    [
      "MANAGE_UNTAGGED_ENI",
      "false",
      {
        refused:
          "not supported here: leaving untagged ENIs unmanaged; tag them node.k8s.amazonaws.com/no_manage=true",
      },
    ],
    ["ADDITIONAL_ENI_TAGS", "{}", "exact"],
    ["ADDITIONAL_ENI_TAGS", " { } ", "exact"],
    ["ADDITIONAL_ENI_TAGS", '{"team":"a"}', { refused: "not supported here: extra ENI tags" }],
    ["ADDITIONAL_ENI_TAGS", "team=a", { refused: "a JSON object" }],
    ["ADDITIONAL_ENI_TAGS", "[]", { refused: "a JSON object" }],
    ["AWS_EXTERNAL_SERVICE_CIDRS", "10.0.0.0/8", { refused: "not supported here" }],
    [
      "AWS_EC2_ENDPOINT",
      "https://ec2.example",
      { refused: "not supported here: AWS_EC2_ENDPOINT; set AWS_ENDPOINT_URL_EC2 instead" },
    ],
    ["CLUSTER_ENDPOINT", "https://api.example", { refused: "not supported here" }],
    ["NETWORK_POLICY_ENFORCING_MODE", "standard", "exact"],
    ["NETWORK_POLICY_ENFORCING_MODE", "none", "exact"],
    [
      "NETWORK_POLICY_ENFORCING_MODE",
      "strict",
      { refused: "not supported here: strict, default-deny until network policies apply" },
    ],
    ["NETWORK_POLICY_ENFORCING_MODE", "Standard", { refused: "one of standard, none" }],
    ["AWS_VPC_K8S_CNI_LOGLEVEL", "INFO", "noted"],
    ["AWS_VPC_K8S_CNI_LOG_FILE", "stdout", "noted"],
    ["AWS_VPC_K8S_PLUGIN_LOG_FILE", "stderr", "noted"],
    ["AWS_VPC_K8S_PLUGIN_LOG_LEVEL", "DEBUG", "noted"],
    ["AWS_VPC_K8S_CNI_BACKING_STORE", "/var/run/aws-node/ipam.json", "noted"],
    ["VPC_CNI_VERSION", "v1.19.0", "noted"],
    ["ENABLE_V4_EGRESS", "true", "noted"],
    ["ENABLE_V4_EGRESS", "nope", { refused: "true or false" }],
    ["POD_SECURITY_GROUP_ENFORCING_MODE", "standard", "noted"],
    ["POD_SECURITY_GROUP_ENFORCING_MODE", "loose", { refused: "one of strict, standard" }],
    ["DISABLE_TCP_EARLY_DEMUX", "true", "noted"],
    ["AWS_VPC_K8S_CNI_CONFIGURE_RPFILTER", "false", "noted"],
    ["ENABLE_NFTABLES", "true", "noted"],
    ["AWS_VPC_CNI_NODE_PORT_SUPPORT", "true", "noted"],
    ["AWS_VPC_CNI_NODE_PORT_SUPPORT", "false", "exact"],
    ["AWS_VPC_CNI_NODE_PORT_SUPPORT", "maybe", { refused: "true or false" }],
    ["ENABLE_SUBNET_DISCOVERY", "true", "noted"],
    ["ENABLE_SUBNET_DISCOVERY", "false", "exact"],
    ["AWS_MANAGE_ENIS_NON_SCHEDULABLE", "false", "noted"],
    ["AWS_MANAGE_ENIS_NON_SCHEDULABLE", "true", "exact"],
  ];
  it.each(cases)("%s=%j -> %j", (name, value, outcome) => {
    const r = loadSettings({ [name]: value });
    if (typeof outcome === "object") {
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error.problems).toHaveLength(1);
      expect(r.error.problems[0]).toMatchObject({ name, value });
      expect(r.error.message).toContain(`${name}=${JSON.stringify(value)}: expected `);
      expect(r.error.message).toContain(outcome.refused);
      return;
    }
    expect(r.ok ? "" : r.error.message).toBe("");
    if (!r.ok) return;
    if (outcome === "exact") expect(r.settings.ignoredAwsSettings).toEqual([]);
    else expect(r.settings.ignoredAwsSettings).toEqual([{ name, value, note: expect.any(String) }]);
  });

  it("every variable in the table has a case above, and every unsupported one is refused by some value", () => {
    const named = new Set(cases.map(([n]) => n));
    for (const v of AWS_VARIABLES) expect(named, v.name).toContain(v.name);
    for (const v of AWS_VARIABLES.filter((x) => x.kind === "unsupported"))
      expect(
        cases.some(
          ([n, , o]) => n === v.name && typeof o === "object" && o.refused.includes("not supported here"),
        ),
        v.name,
      ).toBe(true);
  });

  it("empty values are unset, as for every setting", () => {
    expect(
      ok({ ENABLE_POD_ENI: "", AWS_EC2_ENDPOINT: " ", ADDITIONAL_ENI_TAGS: "" }).ignoredAwsSettings,
    ).toEqual([]);
  });

  it("every refusal is collected with the rest", () => {
    const r = loadSettings({ ENABLE_POD_ENI: "true", ENABLE_IPv6: "true", AWS_VPC_ENI_MTU: "x" });
    expect(r.ok ? [] : r.error.problems.map((p) => p.name).sort()).toEqual([
      "AWS_VPC_ENI_MTU",
      "ENABLE_IPv6",
      "ENABLE_POD_ENI",
    ]);
  });
});
