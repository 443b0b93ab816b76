// The EC2 Query API endpoint: Action dispatch with throttling, injected
// faults, latency and DryRun, in that order (a throttled call is refused at
// once, as on AWS; DryRun answers after the usual latency).

import { randomUUID } from "node:crypto";
import type { Controls } from "../controls.ts";
import { fault, isEc2Fault } from "../rules/fault.ts";
import { throttleClassOf } from "../rules/throttle.ts";
import type { World } from "../state/world.ts";
import { ACTIONS } from "./actions/index.ts";
import { QueryParams } from "./query.ts";
import { errorXml, responseXml } from "./xml.ts";

export interface Ec2Answer {
  status: number;
  body: string;
  requestId: string;
}

const ID_LISTS = ["NetworkInterfaceId.", "InstanceId.", "Filter."];

function isFiltered(params: QueryParams): boolean {
  return params.keys().some((k) => ID_LISTS.some((p) => k.startsWith(p)));
}

const sleep = (ms: number) => (ms > 0 ? new Promise<void>((r) => setTimeout(r, ms)) : Promise.resolve());

export async function handleEc2(world: World, controls: Controls, body: string): Promise<Ec2Answer> {
  const requestId = randomUUID();
  const params = QueryParams.parse(body);
  const action = params.get("Action");
  try {
    if (!action) throw fault("MissingAction", "The request must contain the parameter Action");
    const handler = ACTIONS[action];
    if (!handler) throw fault("InvalidAction", `The action ${action} is not valid for this web service.`);
    const refused = controls.admit(action, throttleClassOf(action, isFiltered(params)));
    if (refused) throw refused;
    await sleep(controls.answerDelayMs(action));
    if (params.bool("DryRun")) {
      throw fault("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412);
    }
    const inner = await handler({ world, params });
    controls.record(action, undefined);
    return { status: 200, body: responseXml(action, requestId, inner), requestId };
  } catch (e) {
    const f = isEc2Fault(e) ? e : fault("InternalError", "An internal error has occurred", 500);
    if (!isEc2Fault(e)) process.stderr.write(`emulator: ${action} failed unexpectedly: ${String(e)}\n`);
    if (action && ACTIONS[action]) controls.record(action, f.code);
    return { status: f.status, body: errorXml(f.code, f.message, requestId), requestId };
  }
}
