// Host-side veth names. Same scheme as the AWS VPC CNI (GeneratePodHostVethName):
// prefix + first 11 hex chars of sha1("<namespace>.<name>"). Keeping it means
// Calico-style policy agents and operators' habits (`ip link | grep eni`) carry over,
// and the name is stable across ipamd restarts, so DEL can find the veth by name.
import { hash } from "node:crypto";
import { HostnetError } from "./types.ts";

/** Linux IFNAMSIZ is 16 including the NUL. */
export const MAX_IFNAME = 15;
const SUFFIX_LEN = 11;

export function hostVethName(prefix: string, podNamespace: string, podName: string): string {
  if (prefix.length === 0 || prefix.length > MAX_IFNAME - SUFFIX_LEN) {
    throw new HostnetError(
      "invalid",
      `veth prefix ${JSON.stringify(prefix)} must be 1-4 characters`,
      "EINVAL",
    );
  }
  if (!/^[A-Za-z0-9_-]+$/.test(prefix)) {
    throw new HostnetError(
      "invalid",
      `veth prefix ${JSON.stringify(prefix)} has characters not allowed in interface names`,
      "EINVAL",
    );
  }
  // One-shot hash(): a createHash() object per ADD was ~2 % of ipamd's CPU under load.
  const digest = hash("sha1", `${podNamespace}.${podName}`, "hex");
  return prefix + digest.slice(0, SUFFIX_LEN);
}

/** True when `name` is a usable Linux interface name. */
export function isValidIfName(name: string): boolean {
  return (
    name.length > 0 && name.length <= MAX_IFNAME && !/[\s/:]/.test(name) && name !== "." && name !== ".."
  );
}
