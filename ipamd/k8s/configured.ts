// Whether ipamd talks to Kubernetes at all. Kept apart from ./client.ts so
// main.ts can decide without loading @kubernetes/client-node (~80 MiB RSS).

/**
 * Whether this process is meant to talk to Kubernetes: in a pod (the
 * service-account env KUBERNETES_SERVICE_HOST) or given KUBECONFIG. A
 * ~/.kube/config alone does not count, so ipamd run by hand, the harness,
 * bench and soak stay Kubernetes-free unless asked.
 */
export function kubeConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.KUBECONFIG) || Boolean(env.KUBERNETES_SERVICE_HOST);
}
