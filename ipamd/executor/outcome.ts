// What a failed pool action means for the rest of the round. Pure and
// table-tested: the EC2 error kinds (cloud/ec2/types.ts) decide.
//   limit        -> the instance is full: stop growing, report a shortfall
//   subnet-full  -> tell the planner (subnet exhaustedUntil), stop growing
//   throttled /
//   transient    -> stop the round; the next round plans again from scratch
//   anything else-> skip this action, go on with the others
import { isEc2Error } from "../../cloud/ec2/types.ts";
import type { PlanAction, Shortfall } from "../planner/types.ts";

export interface FailureContext {
  instanceId: string;
  instanceType: string;
  subnetId: string;
  /** The plan's deficit: addresses the targets wanted. */
  missing: number;
}

export interface FailureEffect {
  /** The error kind for metrics and logs ("host" when not an EC2 error). */
  errorKind: string;
  stopGrowth: boolean;
  stopRound: boolean;
  subnetExhausted: boolean;
  shortfall?: Shortfall;
}

export function isGrowth(a: PlanAction): boolean {
  return a.kind === "create-eni" || a.kind === "assign-ips" || a.kind === "assign-prefixes";
}

export function failureEffect(action: PlanAction, err: unknown, ctx: FailureContext): FailureEffect {
  const none = { stopGrowth: false, stopRound: false, subnetExhausted: false };
  if (!isEc2Error(err)) return { ...none, errorKind: "host" };
  switch (err.kind) {
    case "limit":
      return {
        ...none,
        errorKind: err.kind,
        stopGrowth: true,
        shortfall: {
          cause: "instance-limit",
          missing: ctx.missing,
          message:
            `EC2 refused ${action.kind} on node ${ctx.instanceId} (${ctx.instanceType}) with ${err.code}: ` +
            `the instance is at its ENI or address limit; ${ctx.missing} more addresses wanted`,
        },
      };
    case "subnet-full":
      return {
        ...none,
        errorKind: err.kind,
        stopGrowth: true,
        subnetExhausted: true,
        shortfall: {
          cause: "subnet-full",
          missing: ctx.missing,
          message: `subnet ${ctx.subnetId} has no free addresses (EC2 ${err.code}); ${ctx.missing} more addresses wanted`,
        },
      };
    case "throttled":
    case "transient":
      return { ...none, errorKind: err.kind, stopRound: true };
    default:
      return { ...none, errorKind: err.kind };
  }
}
