// A veth prefix is checked in three places: ipamd's AWS_VPC_K8S_CNI_VETHPREFIX
// setting, the plugin's conflist parser, and ipamd's API. render-conflist.sh
// copies the setting into the conflist, so if the setting accepted a prefix the
// plugin refuses, ipamd would start healthy and every ADD would fail (code 7).
// All three must agree on every prefix.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../cni/config.ts";
import { vethPrefixProblem } from "../../../ipamd/api/protocol.ts";
import { parseRequest } from "../../../ipamd/api/validate.ts";
import { loadSettings } from "../../../ipamd/config/settings.ts";

// Not "": an empty setting means unset (the default, "eni"), as render-conflist.sh also reads it.
const CANDIDATES = [
  "eni",
  "ENI",
  "e_n",
  "x-1",
  "1ab",
  "v",
  "cali",
  "ens",
  "eth",
  "lo",
  "vlan",
  "abcde",
  "e.n",
  "a b",
  "a/b",
  "é",
];

const settingAccepts = (p: string) => loadSettings({ AWS_VPC_K8S_CNI_VETHPREFIX: p }).ok;
const pluginAccepts = (p: string) => {
  try {
    parseConfig({ cniVersion: "1.0.0", name: "vpc-cni", type: "vpc-cni", vethPrefix: p });
    return true;
  } catch {
    return false;
  }
};
const apiAccepts = (p: string) =>
  parseRequest(
    JSON.stringify({
      v: 1,
      op: "add",
      key: { network: "vpc-cni", containerId: "c1", ifName: "eth0" },
      netns: "/var/run/netns/p1",
      pod: { namespace: "ns", name: "web" },
      link: { mtu: 9001, vethPrefix: p },
    }),
  ).ok;

describe("veth prefix: one rule for ipamd's setting, the plugin and ipamd's API", () => {
  it.each(CANDIDATES)("%j", (p) => {
    const want = vethPrefixProblem(p) === undefined;
    expect({ setting: settingAccepts(p), plugin: pluginAccepts(p), api: apiAccepts(p) }).toEqual({
      setting: want,
      plugin: want,
      api: want,
    });
  });
  it("the rule itself: AWS's 4 characters, its reserved names, and ens", () => {
    expect(CANDIDATES.filter((p) => vethPrefixProblem(p) === undefined)).toEqual([
      "eni",
      "ENI",
      "e_n",
      "x-1",
      "1ab",
      "v",
      "cali",
    ]);
  });
});
