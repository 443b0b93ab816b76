// One EC2 action: parses its parameters, calls the world, renders the body of
// <ActionResponse>. Throws Ec2Fault for AWS errors.

import type { World } from "../../state/world.ts";
import type { QueryParams } from "../query.ts";

export interface ActionContext {
  world: World;
  params: QueryParams;
}

export type ActionHandler = (ctx: ActionContext) => string | Promise<string>;
