// Public surface of ipamd/hostnet (see types.ts for the shared contract).
export { type EniSetupResult, eniTable, setupEni, teardownEni, waitForLinkByMac } from "./eni-link.ts";
export { HostNamespace } from "./host-ns.ts";
export { hostVethName } from "./naming.ts";
export { applySnat, type NodeSetupConfig, removeSnat, setupNode, teardownNode } from "./node-setup.ts";
export { ADD_STEPS, type AddStep, NetlinkPodPlumbing, type PodPlumbingOptions } from "./pod-plumbing.ts";
export { SNAT_CHAIN, type SnatConfig, type SnatRandomMode } from "./snat-rules.ts";
export * from "./types.ts";
