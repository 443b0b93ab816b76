// Shapes of what ipamd's introspection server answers (ipamd/introspection),
// as the tests read them through Cluster.introspect().

/** An ENI as /v1/enis shows it. */
export interface EniView {
  id: string;
  deviceIndex: number;
  primary: boolean;
  primaryIp: string;
  attachedAtMs: number;
  ips: string[];
  prefixes: string[];
}
