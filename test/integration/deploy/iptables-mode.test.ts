// deploy/iptables-mode.sh picks the iptables backend the host's rules live in,
// so the entrypoint can point the image's iptables at it. Run in throwaway
// namespaces, each holding rules of one backend, as a host would.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createNetns, type TestNetns } from "../../support/netns.ts";
import { canUseNetns } from "../../support/privileges.ts";

const SCRIPT = fileURLToPath(new URL("../../../deploy/iptables-mode.sh", import.meta.url));

describe.skipIf(!canUseNetns)("deploy/iptables-mode.sh", () => {
  let ns: TestNetns | undefined;
  afterEach(() => ns?.delete());

  const inNs = (cmd: string[]) =>
    execFileSync("ip", ["netns", "exec", ns!.name, ...cmd], { encoding: "utf8" }).trim();

  it.each([
    { name: "no rules at all: nft (the image's default)", rules: [], want: "nft" },
    {
      name: "kubelet's hint chain in legacy",
      rules: [["iptables-legacy", "-t", "mangle", "-N", "KUBE-IPTABLES-HINT"]],
      want: "legacy",
    },
    {
      name: "kubelet's canary chain in nft, more rules in legacy: the marker wins",
      rules: [
        ["iptables-nft", "-t", "mangle", "-N", "KUBE-KUBELET-CANARY"],
        ["iptables-legacy", "-A", "INPUT", "-j", "ACCEPT"],
        ["iptables-legacy", "-A", "INPUT", "-j", "ACCEPT"],
      ],
      want: "nft",
    },
    {
      name: "no marker: the backend holding more rules",
      rules: [
        ["iptables-legacy", "-A", "INPUT", "-j", "ACCEPT"],
        ["iptables-legacy", "-A", "FORWARD", "-j", "ACCEPT"],
        ["iptables-nft", "-A", "INPUT", "-j", "ACCEPT"],
      ],
      want: "legacy",
    },
  ])("$name", ({ rules, want }) => {
    ns = createNetns("ipt");
    for (const r of rules) inNs(r);
    expect(inNs(["sh", SCRIPT])).toBe(want);
  });
});
