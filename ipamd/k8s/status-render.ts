// Pure: turns the daemon's NodeIpamStatusInput into the NodeIPAM .status we
// write, and a canonical form of its content used to skip writes that would
// change nothing. Time only comes in as an argument.

import type { NodeIpamCondition, NodeIpamStatus, NodeIpamStatusInput } from "./nodeipam-types.ts";

export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
}

/** Pods that still fit on the node by address count and max-pods (an estimate: maxPods also counts hostNetwork pods). */
export function podHeadroom(input: NodeIpamStatusInput): number {
  const a = input.addresses;
  // A full subnet caps the node at what it already holds; otherwise the instance's ceiling applies.
  const ceiling = input.exhausted?.cause === "SubnetFull" ? a.total : Math.max(a.max, a.total);
  return Math.max(0, Math.min(input.maxPods, ceiling) - a.assigned);
}

function condition(
  prev: readonly NodeIpamCondition[],
  type: NodeIpamCondition["type"],
  status: boolean,
  reason: string,
  message: string,
  nowMs: number,
): NodeIpamCondition {
  const s = status ? "True" : "False";
  const old = prev.find((c) => c.type === type);
  // lastTransitionTime moves only when the status flips, as in every Kubernetes condition.
  const lastTransitionTime = old !== undefined && old.status === s ? old.lastTransitionTime : iso(nowMs);
  return { type, status: s, reason, message, lastTransitionTime };
}

export function renderStatus(
  input: NodeIpamStatusInput,
  prevConditions: readonly NodeIpamCondition[],
  nowMs: number,
): NodeIpamStatus {
  const a = input.addresses;
  const ex = input.exhausted;
  return {
    instanceType: input.instanceType,
    enis: { attached: input.enis.attached, max: input.enis.max },
    addresses: {
      total: a.total,
      assigned: a.assigned,
      available: a.available,
      cooldown: a.cooldown,
      max: a.max,
    },
    prefixes: { attached: input.prefixes.attached, delegation: input.prefixes.delegation },
    maxPods: input.maxPods,
    podHeadroom: podHeadroom(input),
    subnets: [...input.subnets]
      .sort((x, y) => x.id.localeCompare(y.id))
      .map((s) => ({ id: s.id, nodeAddresses: s.nodeAddresses, freeInSubnet: s.freeInSubnet ?? null })),
    exhausted: ex === undefined ? "None" : ex.cause,
    lastAllocationError:
      input.lastAllocationError === undefined
        ? null
        : {
            cause: input.lastAllocationError.cause,
            message: input.lastAllocationError.message,
            time: iso(input.lastAllocationError.atMs),
          },
    conditions: [
      condition(
        prevConditions,
        "Ready",
        input.ready,
        input.ready ? "IpamdReady" : "IpamdNotReady",
        input.ready ? `${a.available} addresses available` : "ipamd is not serving ADD yet",
        nowMs,
      ),
      condition(
        prevConditions,
        "IPAMExhausted",
        ex !== undefined,
        ex?.cause ?? "AddressesAvailable",
        ex?.message ?? `${a.available} of ${a.total} addresses free, ${a.assigned} assigned`,
        nowMs,
      ),
    ],
    updatedAt: iso(nowMs),
  };
}

/** Content of a status without its timestamps, with sorted keys: equal strings = nothing to write. */
export function canonicalStatus(s: NodeIpamStatus): string {
  const { updatedAt: _u, conditions, ...rest } = s;
  const conds = conditions.map(({ lastTransitionTime: _t, ...c }) => c);
  return stableStringify({ ...rest, conditions: conds });
}

export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableStringify(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}
