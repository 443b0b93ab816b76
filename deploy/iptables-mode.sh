#!/bin/sh
# Prints which iptables backend the host's own rules use, "legacy" or "nft",
# so ipamd's SNAT chain lands in the same tables as kube-proxy's. The image's
# Debian iptables defaults to nft; an Amazon Linux 2 host uses legacy, and
# rules split across both backends are evaluated in an order nobody chose.
# Same test as kubernetes-sigs/iptables-wrappers: kubelet's marker chains
# (KUBE-IPTABLES-HINT, KUBE-KUBELET-CANARY) first, else whichever backend
# holds more rules; nft when both are empty.
set -u
count() { # $1: legacy|nft, $2: grep pattern
  { "iptables-$1-save" -t mangle 2>/dev/null; "iptables-$1-save" 2>/dev/null; } | grep -c -E "$2"
}
hint='^:KUBE-(IPTABLES-HINT|KUBELET-CANARY) '
if [ "$(count nft "$hint")" -gt 0 ]; then echo nft; exit 0; fi
if [ "$(count legacy "$hint")" -gt 0 ]; then echo legacy; exit 0; fi
if [ "$(count legacy '^-')" -gt "$(count nft '^-')" ]; then echo legacy; else echo nft; fi
