// The secondary ENI the daemon unit tests put their addresses on (device 1,
// route table 2, subnet 10.0.1.0/24): one definition instead of a copy per file.
import type { EniInfo } from "../../../ipamd/datastore/types.ts";

export const ENI_1: Readonly<EniInfo> = Object.freeze({
  id: "eni-1",
  mac: "02:00:00:00:00:01",
  deviceIndex: 1,
  primary: false,
  subnetId: "subnet-1",
  subnetCidr: "10.0.1.0/24",
  primaryIp: "10.0.1.100",
  attachedAtMs: 0,
});
