// The plugin's requests as the daemon unit tests send them to IpamdHandlers:
// one attachment per container id, in the netns /var/run/netns/x.
import type { AddRequest, AttachmentKey } from "../../../ipamd/api/protocol.ts";

export const link = { mtu: 9001, vethPrefix: "eni" };
export const key = (c: string): AttachmentKey => ({ network: "aws-cni", containerId: c, ifName: "eth0" });

/** ADD for container `c` (pod named after it in namespace "d"); `extra` adds or overrides fields. */
export function addRequest(c: string, extra: Partial<AddRequest> = {}): AddRequest {
  return {
    v: 1,
    op: "add",
    key: key(c),
    netns: "/var/run/netns/x",
    pod: { namespace: "d", name: c },
    link,
    ...extra,
  };
}
