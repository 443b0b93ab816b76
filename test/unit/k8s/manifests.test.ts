// Static checks of deploy/: every YAML parses, every object is a known
// apiVersion/kind (built-ins + our CRDs), the DaemonSet has what ipamd needs,
// the kustomization lists every manifest, and the IAM policy is minimal.
// (RBAC-vs-calls and printer columns: test/integration/k8s/rbac-columns.test.ts.)

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseConfig } from "../../../cni/config.ts";
import { SUPPORTED_VERSIONS } from "../../../cni/version.ts";
import { loadSettings, SETTINGS_DOC } from "../../../ipamd/config/settings.ts";
import { TAG_CLUSTER_NAME } from "../../../ipamd/executor/tags.ts";

const DEPLOY = join(import.meta.dirname, "../../../deploy");
type Obj = { apiVersion?: string; kind?: string; metadata?: { name?: string }; [k: string]: unknown };

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return f.endsWith(".yaml") || f.endsWith(".yml") ? [p] : [];
  });
}

const docs: { file: string; obj: Obj }[] = yamlFiles(DEPLOY).flatMap((file) =>
  parseAllDocuments(readFileSync(file, "utf8")).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]?.message}`);
    return { file: relative(DEPLOY, file), obj: d.toJSON() as Obj };
  }),
);

const BUILTIN = new Set([
  "v1/ConfigMap",
  "v1/ServiceAccount",
  "apps/v1/DaemonSet",
  "rbac.authorization.k8s.io/v1/ClusterRole",
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding",
  "apiextensions.k8s.io/v1/CustomResourceDefinition",
  "kustomize.config.k8s.io/v1beta1/Kustomization",
]);
const ours = docs
  .filter((d) => d.obj.kind === "CustomResourceDefinition")
  .flatMap((d) => {
    const spec = d.obj.spec as { group: string; names: { kind: string }; versions: { name: string }[] };
    return spec.versions.map((v) => `${spec.group}/${v.name}/${spec.names.kind}`);
  });

const find = (kind: string) => docs.find((d) => d.obj.kind === kind)?.obj as Obj;

describe("deploy/ manifests", () => {
  it("the ConfigMap sets only settings ipamd reads, each to a value it accepts", () => {
    const data = (find("ConfigMap") as { data: Record<string, string> }).data;
    const documented = new Set(SETTINGS_DOC.map((d) => d.name));
    expect(Object.keys(data).filter((k) => !documented.has(k))).toEqual([]);
    const r = loadSettings(data);
    expect(r.ok ? "" : r.error.message).toBe("");
    // The Kubernetes intervals the daemon uses come from here under these names.
    expect(Object.keys(data)).toEqual(
      expect.arrayContaining([
        "VPC_CNI_STATUS_INTERVAL_SECONDS",
        "VPC_CNI_EVENT_INTERVAL_SECONDS",
        "VPC_CNI_POD_RELEASE_GRACE_SECONDS",
        "ENI_CONFIG_ANNOTATION_DEF",
      ]),
    );
  });

  it("parse, and use only known apiVersions and kinds", () => {
    expect(docs.length).toBeGreaterThanOrEqual(8);
    const known = new Set([...BUILTIN, ...ours]);
    for (const { file, obj } of docs)
      expect(known, `${file}: ${obj.apiVersion} ${obj.kind}`).toContain(`${obj.apiVersion}/${obj.kind}`);
    expect(ours.sort()).toEqual(["crd.k8s.amazonaws.com/v1alpha1/ENIConfig", "vpccni.io/v1alpha1/NodeIPAM"]);
  });

  it("the kustomization lists every manifest in base/", () => {
    const k = find("Kustomization") as { resources: string[] };
    const inBase = docs
      .filter((d) => d.file.startsWith("base/") && d.obj.kind !== "Kustomization")
      .map((d) => d.file.slice(5));
    expect(new Set(k.resources)).toEqual(new Set(inBase));
  });

  it("NodeIPAM CRD: cluster-scoped, status subresource, short name nipam", () => {
    const crd = docs.find((d) => d.obj.metadata?.name === "nodeipams.vpccni.io")!.obj as {
      spec: {
        scope: string;
        names: { shortNames: string[] };
        versions: { subresources?: { status?: object } }[];
      };
    };
    expect(crd.spec.scope).toBe("Cluster");
    expect(crd.spec.names.shortNames).toEqual(["nipam"]);
    expect(crd.spec.versions[0]?.subresources?.status).toEqual({});
  });

  it("DaemonSet: host network, critical priority, caps, tolerations, probes, mounts", () => {
    const ds = find("DaemonSet") as {
      spec: {
        updateStrategy: { rollingUpdate: { maxUnavailable: string } };
        template: { spec: Record<string, unknown> };
      };
    };
    const pod = ds.spec.template.spec as {
      hostNetwork: boolean;
      hostPID: boolean;
      priorityClassName: string;
      tolerations: { operator: string }[];
      serviceAccountName: string;
      containers: {
        livenessProbe: { httpGet: { host: string; port: number; path: string } };
        readinessProbe: { httpGet: { host: string; port: number; path: string } };
        volumeMounts: { mountPath: string; mountPropagation?: string }[];
      }[];
    };
    expect(ds.spec.updateStrategy.rollingUpdate.maxUnavailable).toBe("10%");
    expect(pod.hostNetwork).toBe(true);
    expect(pod.hostPID).toBe(true);
    expect(pod.priorityClassName).toBe("system-node-critical");
    expect(pod.tolerations).toEqual([{ operator: "Exists" }]);
    expect(pod.serviceAccountName).toBe("vpc-cni");
    const c = pod.containers[0]!;
    // Its privileges are tested by what ipamd does with them: test/integration/deploy/daemonset-privileges.
    // Liveness is not readiness: an ipamd waiting (ENIConfig, node set-up) is alive (test/e2e/snat.test.ts).
    expect([c.livenessProbe.httpGet.path, c.readinessProbe.httpGet.path]).toEqual(["/livez", "/healthz"]);
    for (const p of [c.livenessProbe, c.readinessProbe])
      expect(p.httpGet).toMatchObject({ host: "127.0.0.1", port: 61679 });
    const mounts = Object.fromEntries(c.volumeMounts.map((m) => [m.mountPath, m.mountPropagation ?? ""]));
    expect(mounts).toEqual({
      "/host/opt/cni/bin": "",
      "/host/etc/cni/net.d": "",
      "/run/vpc-cni": "",
      "/var/lib/vpc-cni": "",
      "/var/run/netns": "HostToContainer",
      "/run/xtables.lock": "",
    });
  });

  it("IAM policy: exactly the EC2 actions ipamd needs; CreateTags only while creating ENIs", () => {
    const policy = JSON.parse(readFileSync(join(DEPLOY, "iam-policy.json"), "utf8")) as {
      Statement: {
        Action: string | string[];
        Resource: string | string[];
        Condition?: Record<string, Record<string, string>>;
      }[];
    };
    const actions = new Set(
      policy.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])),
    );
    expect([...actions].sort()).toEqual(
      [
        "ec2:AssignPrivateIpAddresses",
        "ec2:AttachNetworkInterface",
        "ec2:CreateNetworkInterface",
        "ec2:CreateTags",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeInstances",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DetachNetworkInterface",
        "ec2:ModifyNetworkInterfaceAttribute",
        "ec2:UnassignPrivateIpAddresses",
      ].sort(),
    );
    const tags = policy.Statement.filter((s) => s.Action === "ec2:CreateTags");
    expect(tags).toEqual([
      {
        Sid: "TagOnlyWhileCreatingEnis",
        Effect: "Allow",
        Action: "ec2:CreateTags",
        Resource: "arn:aws:ec2:*:*:network-interface/*",
        Condition: { StringEquals: { "ec2:CreateAction": "CreateNetworkInterface" } },
      },
    ]);
    const del = policy.Statement.find(
      (s) => Array.isArray(s.Action) && s.Action.includes("ec2:DeleteNetworkInterface"),
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the policy's literal envsubst placeholder
    expect(del?.Condition?.StringEquals?.[`aws:ResourceTag/${TAG_CLUSTER_NAME}`]).toBe("${CLUSTER_NAME}");
    const wildcard = policy.Statement.filter((s) => s.Resource === "*").flatMap((s) => s.Action);
    expect(wildcard.every((a) => a.startsWith("ec2:Describe"))).toBe(true);
  });

  /** The socket ipamd listens on with this environment (on top of the ConfigMap's settings). */
  const ipamdSocket = (env: Record<string, string>) => {
    const r = loadSettings({ ...(find("ConfigMap") as { data: Record<string, string> }).data, ...env });
    if (!r.ok) throw new Error(r.error.message);
    return r.settings.socketPath;
  };

  // What the plugin reads from the conflist the entrypoint installs, parsed by the plugin's own parser.
  const installedList = (env: Record<string, string>) => {
    const text = execFileSync("sh", [join(DEPLOY, "render-conflist.sh")], {
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", ...env },
      encoding: "utf8",
    });
    const list = JSON.parse(text) as {
      cniVersion: string;
      cniVersions?: string[];
      name: string;
      plugins: Record<string, unknown>[];
    };
    expect(list.plugins).toHaveLength(1);
    return list;
  };
  // As libcni builds a plugin's config from the list (name, cniVersion injected).
  const installedConf = (env: Record<string, string>, version?: string) => {
    const list = installedList(env);
    return parseConfig({ cniVersion: version ?? list.cniVersion, name: list.name, ...list.plugins[0] });
  };

  it("the conflist offers CNI 1.1.0 (STATUS, GC) to runtimes that know it, 1.0.0 to older ones", () => {
    const list = installedList({});
    // libcni >= 1.2 takes the highest version it supports from cniVersions; older libcni reads cniVersion.
    expect(list.cniVersions).toContain("1.1.0");
    expect(list.cniVersions).toContain(list.cniVersion);
    // The plugin takes its config at every version offered, and says it supports them (VERSION).
    const supported: readonly string[] = SUPPORTED_VERSIONS;
    for (const v of list.cniVersions ?? []) {
      expect(installedConf({}, v).cniVersion).toBe(v);
      expect(supported).toContain(v);
    }
  });

  it("the conflist the entrypoint installs carries the defaults ipamd and the plugin share", () => {
    const conf = installedConf({});
    expect(conf.type).toBe("vpc-cni");
    expect(conf.socketPath).toBe(ipamdSocket({}));
    expect(conf.mtu).toBe(9001);
    expect(conf.vethPrefix).toBe("eni");
  });

  it("the conflist the entrypoint installs follows VPC_CNI_SOCKET_PATH, AWS_VPC_ENI_MTU and the veth prefix", () => {
    const env = {
      VPC_CNI_SOCKET_PATH: "/run/vpc-cni/other.sock",
      AWS_VPC_ENI_MTU: "1500",
      AWS_VPC_K8S_CNI_VETHPREFIX: "pod",
    };
    const conf = installedConf(env);
    // POD_MTU, when set, is the pod interface's MTU (AWS VPC CNI); the ENIs keep AWS_VPC_ENI_MTU.
    expect(installedConf({ ...env, POD_MTU: "1400" }).mtu).toBe(1400);
    // The socket the plugin dials is the one ipamd listens on with the same environment.
    expect(conf.socketPath).toBe(ipamdSocket(env));
    expect(conf.socketPath).toBe("/run/vpc-cni/other.sock");
    expect(conf.mtu).toBe(1500);
    expect(conf.vethPrefix).toBe("pod");
  });
});
