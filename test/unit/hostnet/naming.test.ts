import { describe, expect, it } from "vitest";
import { hostVethName, isValidIfName } from "../../../ipamd/hostnet/naming.ts";
import { HostnetError } from "../../../ipamd/hostnet/types.ts";

describe("hostVethName", () => {
  // Expected values are those the AWS VPC CNI produces for the same pods, so
  // nodes migrated from it keep their veth names.
  it.each([
    ["eni", "kube-system", "coredns-57ff979f67-qqbdh", "enib5faff8a083"],
    ["vlan", "kube-system", "coredns-57ff979f67-qqbdh", "vlanb5faff8a083"],
    ["eni", "kube-system", "coredns-57ff979f67-8ns9b", "eni9571956a6cc"],
    ["eni", "default", "sample-pod", "enicc21c2d7785"],
  ])("%s %s/%s -> %s", (prefix, ns, name, want) => {
    expect(hostVethName(prefix, ns, name)).toBe(want);
  });

  it("is at most 15 characters and stable", () => {
    const n = hostVethName("abcd", "a-very-long-namespace-name", "a-very-long-pod-name-0123456789");
    expect(n.length).toBe(15);
    expect(hostVethName("abcd", "a-very-long-namespace-name", "a-very-long-pod-name-0123456789")).toBe(n);
  });

  it("differs for namespace/name splits that concatenate the same", () => {
    expect(hostVethName("eni", "a", "b.c")).not.toBe(hostVethName("eni", "a.b", "x"));
  });

  it.each(["", "toolong", "e/n", "e n"])("rejects prefix %j with kind invalid", (prefix) => {
    expect(() => hostVethName(prefix, "ns", "p")).toThrow(HostnetError);
    try {
      hostVethName(prefix, "ns", "p");
    } catch (e) {
      expect((e as HostnetError).kind).toBe("invalid");
    }
  });

  it("validates interface names", () => {
    expect(isValidIfName("eth0")).toBe(true);
    expect(isValidIfName("a".repeat(16))).toBe(false);
    expect(isValidIfName("a/b")).toBe(false);
    expect(isValidIfName("")).toBe(false);
  });
});
