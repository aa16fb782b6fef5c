#!/usr/bin/env bash
# Installs the cluster-scoped operators Groundtruth's manifests rely on, at the versions in versions.env.
# They are installed outside the application tree on purpose: operators and their CRDs are cluster-wide,
# shared with other tenants, and upgraded on their own schedule. Nothing is vendored here.
#
#   deploy/k8s/operators/install.sh            print the commands (default: nothing is changed)
#   deploy/k8s/operators/install.sh --apply    run them against the current kubectl context
#
# Needs kubectl and helm 3.8+ (OCI charts). The Prometheus Operator (for components/monitoring) is
# usually already part of the cluster's monitoring stack and is not installed here.
set -euo pipefail
cd "$(dirname "$0")"
# shellcheck source=versions.env
source versions.env

apply=false
[[ "${1:-}" == "--apply" ]] && apply=true

run() {
    echo "+ $*"
    if $apply; then "$@"; fi
}

# Strimzi: Kafka, KafkaNodePool and KafkaTopic (kafka.strimzi.io/v1), watching every namespace.
run helm upgrade --install strimzi-cluster-operator oci://quay.io/strimzi-helm/strimzi-kafka-operator \
    --version "${STRIMZI_VERSION}" --namespace strimzi-system --create-namespace \
    --set watchAnyNamespace=true

# CloudNativePG: Cluster (postgresql.cnpg.io/v1).
run helm repo add cnpg https://cloudnative-pg.github.io/charts
run helm upgrade --install cnpg cnpg/cloudnative-pg \
    --version "${CNPG_CHART_VERSION}" --namespace cnpg-system --create-namespace

# cert-manager: certificates for the Ingresses (annotation cert-manager.io/cluster-issuer). Create the
# ClusterIssuers "letsencrypt" and "letsencrypt-staging" yourself (docs/deploy.md shows one).
run helm upgrade --install cert-manager oci://quay.io/jetstack/charts/cert-manager \
    --version "${CERT_MANAGER_VERSION}" --namespace cert-manager --create-namespace \
    --set crds.enabled=true

# ingress-nginx: the ingress controller the Ingresses and NetworkPolicies expect (namespace ingress-nginx).
run helm repo add ingress-nginx https://kubernetes.github.io/ingress-nginx
run helm upgrade --install ingress-nginx ingress-nginx/ingress-nginx \
    --version "${INGRESS_NGINX_CHART_VERSION}" --namespace ingress-nginx --create-namespace

if ! $apply; then
    echo
    echo "Nothing was changed. Run with --apply (make k8s-operators APPLY=1) to install."
fi
