#!/usr/bin/env bash
# Makes a new cluster's CA and tokens on this machine and prints them as the two Secrets the
# manifests use, for `cluster/k8s/bootstrap.sh | kubectl apply -f -` (run it once, before the first
# `kubectl apply -k`):
#   parajob-coordinator-bootstrap  the CA's key and certificate and the tokens file (hashes only),
#                                  seeded into the coordinator's data dir by its init container;
#   parajob-node-join              a node token and the CA certificate, mounted by the nodes.
# A client token is printed on stderr, shown once: keep it (PARAJOB_TOKEN) to submit jobs.
# Needs this repo built (npm ci) and kubectl (it only renders: --dry-run=client, no cluster needed).
# NAMESPACE (default parajob) must match the kustomization's namespace.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
parajob=(node "$here/../../bin/parajob.js")
namespace=${NAMESPACE:-parajob}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ca_hash=$("${parajob[@]}" pki init --data-dir "$work" 2>/dev/null | tail -n 1)
node_token=$("${parajob[@]}" token create --role node --ttl never --description 'kubernetes nodes' \
  --data-dir "$work" 2>/dev/null | tail -n 1)
client_token=$("${parajob[@]}" token create --role client --ttl 30d --description 'kubernetes bootstrap client' \
  --data-dir "$work" 2>/dev/null | tail -n 1)

kubectl create secret generic parajob-coordinator-bootstrap --namespace "$namespace" \
  --from-file=ca.crt="$work/pki/ca.crt" --from-file=ca.key="$work/pki/ca.key" \
  --from-file=tokens.json="$work/auth/tokens.json" --dry-run=client -o yaml
echo '---'
kubectl create secret generic parajob-node-join --namespace "$namespace" \
  --from-literal=token="$node_token" --from-file=ca.crt="$work/pki/ca.crt" --dry-run=client -o yaml

{
  echo "parajob cluster CA $ca_hash"
  echo "client token (shown once; valid 30 days): $client_token"
  echo "  export PARAJOB_TOKEN=$client_token PARAJOB_CA=$ca_hash"
  echo "  kubectl -n $namespace port-forward svc/parajob-coordinator 7070 7071"
  echo "  PARAJOB_COORDINATOR=localhost:7070 npx parajob job create --file job.yml"
} >&2
