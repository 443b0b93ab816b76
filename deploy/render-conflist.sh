#!/bin/sh
# Prints deploy/05-vpc-cni.conflist with this node's settings filled in:
# the pod MTU (POD_MTU, else AWS_VPC_ENI_MTU) and veth prefix (AWS VPC CNI
# names) and the socket ipamd listens on
# (VPC_CNI_SOCKET_PATH), so the plugin talks to the socket ipamd really uses.
# The entrypoint installs its output; test/unit/k8s/manifests.test.ts feeds
# it to the plugin's own config parser.
# A custom socket must stay under /run/vpc-cni: the only directory the
# DaemonSet shares between the ipamd container and the host's runtime.
# cniVersions: runtimes whose libcni knows 1.1.0 (>= 1.2) use it, and with it
# STATUS and GC; older ones (containerd 1.7) ignore the list and use 1.0.0.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# '|' as sed's delimiter: a socket path is full of '/'. The values are checked
# by ipamd's settings (VPC_CNI_SOCKET_PATH) and the plugin's parser (all three).
sed -e "s|\"mtu\": 9001|\"mtu\": ${POD_MTU:-${AWS_VPC_ENI_MTU:-9001}}|" \
    -e "s|\"vethPrefix\": \"eni\"|\"vethPrefix\": \"${AWS_VPC_K8S_CNI_VETHPREFIX:-eni}\"|" \
    -e "s|\"socketPath\": \"/run/vpc-cni/ipamd.sock\"|\"socketPath\": \"${VPC_CNI_SOCKET_PATH:-/run/vpc-cni/ipamd.sock}\"|" \
    "$here/05-vpc-cni.conflist"
