import { describe, expect, it } from "vitest";
import type { CustomObjectsApi } from "../../../ipamd/k8s/client.ts";
import { EniConfigInvalidError, EniConfigNotFoundError } from "../../../ipamd/k8s/errors.ts";
import {
  type EniConfigSelectionSettings,
  type NodeInfo,
  parseEniConfigSpec,
  parsePodCapacity,
  resolveEniConfig,
  selectEniConfig,
} from "../../../ipamd/k8s/node-info.ts";

const node = (labels: Record<string, string>, annotations: Record<string, string> = {}): NodeInfo => ({
  name: "n",
  uid: "u",
  labels,
  annotations,
  instanceType: undefined,
});

describe("selectEniConfig: the AWS VPC CNI's order (pkg/eniconfig GetNodeSpecificENIConfigName)", () => {
  const EXT = "vpc.amazonaws.com/externalEniConfig";
  const KEY = "k8s.amazonaws.com/eniConfig"; // AWS default of both ENI_CONFIG_ANNOTATION_DEF and ENI_CONFIG_LABEL_DEF
  const ZONE = "topology.kubernetes.io/zone";
  type Case = [
    what: string,
    labels: Record<string, string>,
    annotations: Record<string, string>,
    settings: EniConfigSelectionSettings,
    name: string,
    selectedBy: string,
  ];
  const cases: Case[] = [
    [
      "external label beats everything",
      { [EXT]: "ext", [KEY]: "l" },
      { [KEY]: "a" },
      {},
      "ext",
      `label ${EXT}`,
    ],
    [
      "annotation beats the label",
      { [KEY]: "l", [ZONE]: "az1" },
      { [KEY]: "a" },
      {},
      "a",
      `annotation ${KEY}`,
    ],
    [
      "default label key is k8s.amazonaws.com/eniConfig",
      { [KEY]: "l", [ZONE]: "az1" },
      {},
      {},
      "l",
      `label ${KEY}`,
    ],
    ["the zone label is not used by default", { [ZONE]: "az1" }, {}, {}, "default", "fallback"],
    [
      "ENI_CONFIG_LABEL_DEF=zone",
      { [ZONE]: "az1", [KEY]: "l" },
      {},
      { labelDef: ZONE },
      "az1",
      `label ${ZONE}`,
    ],
    [
      "annotation still beats ENI_CONFIG_LABEL_DEF",
      { [ZONE]: "az1" },
      { [KEY]: "a" },
      { labelDef: ZONE },
      "a",
      `annotation ${KEY}`,
    ],
    [
      "ENI_CONFIG_ANNOTATION_DEF",
      {},
      { mine: "m", [KEY]: "a" },
      { annotationDef: "mine" },
      "m",
      "annotation mine",
    ],
    [
      "the default annotation is not read once ENI_CONFIG_ANNOTATION_DEF is set",
      {},
      { [KEY]: "a" },
      { annotationDef: "mine" },
      "default",
      "fallback",
    ],
    [
      "external label beats custom keys",
      { [EXT]: "ext", c: "l" },
      { mine: "m" },
      { labelDef: "c", annotationDef: "mine" },
      "ext",
      `label ${EXT}`,
    ],
    ["an external annotation (not label) is not read", {}, { [EXT]: "ext" }, {}, "default", "fallback"],
    ["nothing: the ENIConfig named default", {}, {}, {}, "default", "fallback"],
    [
      "empty settings mean the defaults",
      { [KEY]: "l" },
      {},
      { labelDef: "", annotationDef: "" },
      "l",
      `label ${KEY}`,
    ],
    // Present with an empty value: chosen, as there (its lookup then fails, naming the key).
    ["an empty external label is still chosen", { [EXT]: "", [KEY]: "l" }, {}, {}, "", `label ${EXT}`],
    ["an empty annotation is still chosen", { [KEY]: "l" }, { [KEY]: "" }, {}, "", `annotation ${KEY}`],
    ["an empty label is still chosen", { [KEY]: "" }, {}, {}, "", `label ${KEY}`],
  ];
  it.each(cases)("%s", (_what, labels, annotations, settings, name, selectedBy) => {
    const sel = selectEniConfig(node(labels, annotations), settings);
    expect(sel.name).toBe(name);
    if (selectedBy === "fallback") expect(sel.selectedBy).toMatch(/fallback name$/);
    else expect(sel.selectedBy).toBe(selectedBy);
  });
  it("the fallback names every key it looked for", () => {
    expect(selectEniConfig(node({}), { labelDef: ZONE, annotationDef: "mine" }).selectedBy).toBe(
      `no ${EXT} label, mine annotation or ${ZONE} label: fallback name`,
    );
  });
});

describe("resolveEniConfig with an empty name", () => {
  it("fails as not found without asking for an object named '' (a LIST), listing what exists", async () => {
    const asked: string[] = [];
    const custom = {
      getClusterCustomObject: async (a: { name: string }) => {
        asked.push(a.name);
        return {};
      },
      listClusterCustomObject: async () => ({ items: [{ metadata: { name: "us-west-2a" } }] }),
    } as unknown as CustomObjectsApi;
    const err = await resolveEniConfig(custom, {
      name: "",
      selectedBy: "label vpc.amazonaws.com/externalEniConfig",
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EniConfigNotFoundError);
    expect((err as Error).message).toBe(
      'ENIConfig "" (selected by label vpc.amazonaws.com/externalEniConfig) not found (existing: us-west-2a)',
    );
    expect(asked).toEqual([]);
  });
});

describe("parseEniConfigSpec", () => {
  it("accepts a subnet and security groups, empty groups allowed", () => {
    expect(parseEniConfigSpec("a", { spec: { subnet: "subnet-0ab", securityGroups: ["sg-01"] } })).toEqual({
      name: "a",
      subnetId: "subnet-0ab",
      securityGroupIds: ["sg-01"],
    });
    expect(parseEniConfigSpec("a", { spec: { subnet: "subnet-0ab" } }).securityGroupIds).toEqual([]);
  });
  it("rejects a missing subnet or bad group ids, naming the ENIConfig", () => {
    expect(() => parseEniConfigSpec("zz", { spec: {} })).toThrow(/ENIConfig "zz" is invalid: spec.subnet/);
    expect(() =>
      parseEniConfigSpec("zz", { spec: { subnet: "subnet-1", securityGroups: ["default"] } }),
    ).toThrow(EniConfigInvalidError);
  });
});

describe("parsePodCapacity (the Node's status.capacity.pods)", () => {
  it.each([
    ["110", 110],
    ["4", 4],
    ["0", undefined],
    ["", undefined],
    [undefined, undefined],
    ["1k", undefined],
    ["-3", undefined],
    ["110m", undefined],
  ])("%j -> %j", (q, want) => {
    expect(parsePodCapacity(q)).toBe(want);
  });
});
