// Sentences with numbers for users: why the pool cannot reach its target, and
// why an ADD found no address. The CNI plugin shows these verbatim (kubectl
// describe pod), so they say what limit bit and by how much. Pure.

import {
  eniPool,
  foreignEnis,
  instanceMaxEnis,
  maxEnis,
  type Pool,
  PREFIX_SIZE,
  podEnisOf,
  slotsPerEni,
  sumPools,
} from "./pool.ts";
import type { PlannerInput, PlanResult, ShortfallCause } from "./types.ts";

function perEniText(input: PlannerInput): string {
  const slots = slotsPerEni(input);
  return input.settings.prefixDelegation ? `${slots} /28 prefixes × ${PREFIX_SIZE}` : `${slots}`;
}

export function describeShortfall(
  input: PlannerInput,
  pool: Pool,
  cause: ShortfallCause,
  missing: number,
): string {
  const onPrimary = input.podsOnPrimaryEni ?? true;
  const cap = maxEnis(input);
  const foreign = foreignEnis(input);
  const podEniCap = Math.max(0, cap - (onPrimary ? 0 : 1) - foreign);
  const perEniAddrs = slotsPerEni(input) * (input.settings.prefixDelegation ? PREFIX_SIZE : 1);
  const maxAddrs = podEniCap * perEniAddrs;
  const usage = `${pool.assigned} assigned, ${pool.cooldown} cooling down, ${pool.free} free; ${missing} more wanted`;
  const primaryNote = onPrimary ? "" : ", the primary ENI not used for pods (custom networking)";
  const foreignNote =
    foreign === 0
      ? ""
      : `, ${foreign} more attached ENI${foreign === 1 ? "" : "s"} ipamd does not manage (no_manage tag, or attaching / detaching)`;
  switch (cause) {
    case "instance-limit":
      return (
        `node holds ${pool.held} of its ${maxAddrs} pod addresses ` +
        `(${podEniCap} ENIs × ${perEniText(input)}, ${input.limits.instanceType} limit${primaryNote}${foreignNote}): ${usage}`
      );
    case "max-eni":
      return (
        `node holds ${pool.held} of its ${maxAddrs} pod addresses ` +
        `(MAX_ENI=${cap} of the ${input.limits.instanceType}'s ${instanceMaxEnis(input)} ENIs, ` +
        `${podEniCap} ENIs × ${perEniText(input)}${primaryNote}${foreignNote}): ${usage}`
      );
    case "subnet-backoff": {
      const secs = Math.ceil(((input.subnet.exhaustedUntilMs ?? input.nowMs) - input.nowMs) / 1000);
      return `subnet ${input.subnet.id} reported no free addresses; asking again in ${secs} s: ${usage}`;
    }
    case "subnet-full":
      return (
        `subnet ${input.subnet.id} has ${input.subnet.availableIpAddressCount ?? 0} free addresses, ` +
        `too few for what the node needs: ${usage}`
      );
  }
}

/**
 * Why an ADD found no free address right now, for a CNI "try again later"
 * answer: the shortfall if the node cannot grow, else what is on its way.
 */
export function exhaustionReason(input: PlannerInput, result: PlanResult): string {
  if (result.shortfall) return result.shortfall.message;
  const pool = sumPools(podEnisOf(input).map(eniPool));
  const parts: string[] = [];
  if (pool.cooldown > 0) parts.push(`${pool.cooldown} released addresses are cooling down`);
  const adding = result.actions.reduce((n, a) => {
    if (a.kind === "assign-ips") return n + a.count;
    if (a.kind === "assign-prefixes") return n + a.count * PREFIX_SIZE;
    if (a.kind === "create-eni") return n + a.ipCount + a.prefixCount * PREFIX_SIZE;
    return n;
  }, 0);
  if (adding > 0) parts.push(`the pool is adding ${adding} addresses`);
  else if (input.maxPods !== undefined && pool.held >= input.maxPods)
    parts.push(`the pool holds the node's max pods (${input.maxPods}) and grows no further`);
  else parts.push("the pool is not growing yet");
  return `no free pod address on this node (${pool.assigned} of ${pool.held} assigned): ${parts.join("; ")}`;
}
