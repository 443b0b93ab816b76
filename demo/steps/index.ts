// The demo's steps, in order. Each lives in its own file and concerns one
// thing; add a step by writing demo/steps/<name>.ts and listing it here.
import { podToNode, podToPodAcrossNodes, podToPodSameNode, podToRouter } from "./connectivity.ts";
import { addAtLimitFails, fillToLimit, metricsAtLimit, statusAtLimit } from "./exhaustion.ts";
import { kubectlView } from "./kubectl-view.ts";
import { noTunnelDevices, podAddressesOnTheWire } from "./no-encapsulation.ts";
import { addAfterRecovery, deleteAndSettle } from "./recovery.ts";
import { schedulePods } from "./schedule.ts";
import { nodeTable } from "./table.ts";
import type { Step } from "./types.ts";

export const STEPS: Step[] = [
  schedulePods,
  podToPodSameNode,
  podToPodAcrossNodes,
  podToNode,
  podToRouter,
  noTunnelDevices,
  podAddressesOnTheWire,
  fillToLimit,
  addAtLimitFails,
  statusAtLimit,
  metricsAtLimit,
  kubectlView,
  deleteAndSettle,
  addAfterRecovery,
  nodeTable,
];
