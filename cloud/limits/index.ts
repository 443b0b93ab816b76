// cloud/limits: instance-type network limits and the max-pods arithmetic.
export { INSTANCE_TYPES } from "./instance-types.ts";
export {
  HIGH_CPU_THRESHOLD,
  IPS_PER_PREFIX,
  instanceLimits,
  MAX_PODS_HIGH_CPU,
  MAX_PODS_LOW_CPU,
  type MaxPodsOptions,
  maxPods,
} from "./limits.ts";
export {
  clearInstanceTypeCache,
  type ResolvedInstanceType,
  resolveInstanceLimits,
  resolveInstanceType,
  UnknownInstanceTypeError,
} from "./resolve.ts";
export type { InstanceLimits } from "./types.ts";
