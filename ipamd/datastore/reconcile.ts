// Apply the ENI/IP/prefix set actually seen in IMDS + EC2 to the datastore:
// at start (after restore) and periodically. The observed set is the truth for
// what the node HAS; the datastore stays the truth for who HOLDS what, so an
// assignment whose address vanished is reported, never silently dropped, and
// its address is never handed to anyone else if it reappears.
//
// Callers must not pass a view taken before an in-flight executor action
// finished (IMDS lags EC2 by seconds): the daemon serialises reconcile with
// the executor.

import type { Datastore } from "./datastore.ts";
import type { ObservedEni, ReconcileReport } from "./types.ts";

export function reconcile(ds: Datastore, observed: readonly ObservedEni[]): ReconcileReport {
  const report: ReconcileReport = {
    addedEnis: [],
    removedEnis: [],
    addedIps: [],
    removedIps: [],
    addedPrefixes: [],
    removedPrefixes: [],
    orphaned: [],
    moved: [],
  };
  const seen = new Map(observed.map((o) => [o.id, o]));

  // 1. Removals first, so an address that moved between ENIs can be re-added.
  for (const info of ds.enis()) {
    const o = seen.get(info.id);
    if (!o) {
      const { ips, prefixes } = ds.ipsOf(info.id);
      report.removedEnis.push(info.id);
      report.removedIps.push(...ips);
      report.removedPrefixes.push(...prefixes);
      ds.dropEni(info.id);
      continue;
    }
    const have = ds.ipsOf(info.id);
    const ipSet = new Set(o.ips);
    const prefixSet = new Set(o.prefixes);
    const goneIps = have.ips.filter((ip) => !ipSet.has(ip));
    const gonePrefixes = have.prefixes.filter((p) => !prefixSet.has(p));
    ds.dropAddresses(info.id, goneIps, gonePrefixes);
    report.removedIps.push(...goneIps);
    report.removedPrefixes.push(...gonePrefixes);
  }

  // 2. Additions.
  for (const o of observed) {
    const { ips: _ips, prefixes: _prefixes, ...info } = o;
    if (!ds.eni(o.id)) report.addedEnis.push(o.id);
    ds.upsertEni(info);
    const have = ds.ipsOf(o.id);
    const newIps = o.ips.filter((ip) => !have.ips.includes(ip));
    const newPrefixes = o.prefixes.filter((p) => !have.prefixes.includes(p));
    ds.addIps(o.id, newIps);
    ds.addPrefixes(o.id, newPrefixes);
    report.addedIps.push(...newIps);
    report.addedPrefixes.push(...newPrefixes);
  }

  // 3. Assignments: follow moved addresses, report orphans.
  for (const a of ds.assignments()) {
    const owner = ds.ownerOf(a.ip);
    if (owner === undefined) report.orphaned.push(a);
    else if (owner !== a.eniId) {
      ds.setAssignmentEni(a.key, owner);
      report.moved.push({ key: a.key, ip: a.ip, from: a.eniId, to: owner });
    }
  }
  return report;
}
