// Pure rate-limit decision for allocation-failure Events: per cause, at most
// one API write per interval. The first failure creates an Event; failures
// within the interval are only counted; after the interval the counted ones
// are folded into the Event's series (one patch); once a cause has been
// quiet for two intervals, its next failure starts a new Event.

export interface CauseState {
  /** Name of the Event of the current series (undefined = none yet). */
  eventName: string | undefined;
  /** Occurrences already written to the API. */
  written: number;
  /** Occurrences since the last write. */
  pending: number;
  /** Time of the last API write for this cause. */
  lastWriteMs: number;
}

export type EventDecision =
  | { kind: "create"; count: number }
  | { kind: "patch"; count: number }
  /** Wait; ask again at `atMs`. */
  | { kind: "wait"; atMs: number }
  | { kind: "none" };

export function decideEvent(s: CauseState, nowMs: number, intervalMs: number): EventDecision {
  if (s.pending === 0) return { kind: "none" };
  // A new series counts only the failures not yet reported anywhere.
  if (s.eventName === undefined || nowMs - s.lastWriteMs >= 2 * intervalMs)
    return { kind: "create", count: s.pending };
  if (nowMs - s.lastWriteMs >= intervalMs) return { kind: "patch", count: s.written + s.pending };
  return { kind: "wait", atMs: s.lastWriteMs + intervalMs };
}
