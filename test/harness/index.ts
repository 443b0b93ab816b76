// The simulated-cluster harness used by demo/ and the e2e tests.

export type { InternetHost } from "../../cloud/emulator/dataplane/netns-dataplane.ts";
export {
  type Cluster,
  type ClusterNode,
  type ClusterOptions,
  createCluster,
  type NodeSpec,
} from "./cluster.ts";
export {
  type CniResult,
  CniRunError,
  type ConfList,
  createCniRunner,
  type RuntimeConf,
} from "./cni-runner.ts";
export type { EniView } from "./introspection.ts";
export { ipamdRequest } from "./ipamd-process.ts";
export { HarnessError } from "./names.ts";
export type { ExecResult } from "./proc.ts";
export type { Pod } from "./runtime.ts";
