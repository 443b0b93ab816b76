// Lower bound for bench:burst: the shortest time EC2 itself allows a freshly
// started node to hold P pod addresses, from the instance limits, the batch
// sizes EC2 accepts and the emulator's latencies. Pure.
//
// Model (every item is something EC2 must do; nothing ipamd-specific):
//  - one ENI holds s = ipv4PerEni - 1 slots (its own primary IP takes one),
//    a slot is 1 address, or a /28 (16 addresses) with prefix delegation;
//  - one AssignPrivateIpAddresses / CreateNetworkInterface call can carry all
//    s slots of one ENI (EC2's per-call batch is the ENI's free slots);
//  - the primary ENI is attached at boot: filling it is ONE assign call;
//  - each further ENI needs CreateNetworkInterface (with its addresses) then
//    AttachNetworkInterface, then the attachment completes (attach delay);
//    different ENIs do not depend on each other, so they can overlap.
// Bound = max(assign on primary, create + attach call + attach delay) when
// extra ENIs are needed; the serial variant (one ENI after the other) is
// reported beside it to explain a gap. Pod-side costs (plugin exec, kubelet
// retry back-off) are NOT in the bound: they are measured separately.

export interface BurstBoundInput {
  pods: number;
  maxEnis: number;
  ipv4PerEni: number;
  prefixDelegation: boolean;
  /** Emulator answer delays and attach delay in ms, already multiplied by timeScale. */
  mutateMs: number;
  attachMs: number;
}

export interface BurstBound {
  /** Addresses one ENI holds. */
  perEni: number;
  extraEnis: number;
  /** EC2 calls strictly needed. */
  calls: { assign: number; create: number; attach: number };
  /** Parallel bound in ms. */
  boundMs: number;
  /** If extra ENIs are made one after the other (a serial executor's floor). */
  serialMs: number;
  explain: string;
}

export function burstBound(i: BurstBoundInput): BurstBound {
  const slots = i.ipv4PerEni - 1;
  const unit = i.prefixDelegation ? 16 : 1;
  const perEni = slots * unit;
  const extraEnis = Math.max(0, Math.ceil((i.pods - perEni) / perEni));
  if (extraEnis > i.maxEnis - 1) throw new Error(`${i.pods} pods do not fit: ${i.maxEnis} ENIs x ${perEni}`);
  const eniPath = 2 * i.mutateMs + i.attachMs;
  const boundMs = extraEnis === 0 ? i.mutateMs : Math.max(i.mutateMs, eniPath);
  const serialMs = extraEnis === 0 ? i.mutateMs : Math.max(i.mutateMs, extraEnis * eniPath);
  const explain =
    extraEnis === 0
      ? `${i.pods} pods fit the primary ENI (${slots} slots x ${unit} = ${perEni}): one AssignPrivateIpAddresses = ${i.mutateMs} ms`
      : `primary ENI holds ${perEni} (${slots} slots x ${unit}); ${extraEnis} more ENI(s), created in parallel: ` +
        `CreateNetworkInterface ${i.mutateMs} + AttachNetworkInterface ${i.mutateMs} + attach ${i.attachMs} = ${eniPath} ms ` +
        `(serially: ${extraEnis} x ${eniPath} = ${serialMs} ms)`;
  return {
    perEni,
    extraEnis,
    calls: { assign: 1, create: extraEnis, attach: extraEnis },
    boundMs,
    serialMs,
    explain,
  };
}
