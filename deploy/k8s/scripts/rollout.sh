#!/usr/bin/env bash
# Upgrades an installed overlay with its migrations first: delete the previous migrations Jobs (a Job's pod
# template is immutable), apply and wait for the new ones, then apply everything else.
#
#   deploy/k8s/scripts/rollout.sh deploy/k8s/overlays/prod
set -euo pipefail
overlay="${1:?usage: $0 OVERLAY_DIR}"
namespace="$(kubectl kustomize "$overlay" | awk '/^kind: Namespace/{ns=1} ns && /^  name:/{print $2; exit}')"
selector=app.kubernetes.io/component=migrations

kubectl delete job --namespace "$namespace" --selector "$selector" --ignore-not-found --wait=true
# The Jobs and the generated ConfigMaps they read (labelled component=config), nothing else yet.
kubectl apply -k "$overlay" --selector 'app.kubernetes.io/component in (config,migrations)'
kubectl wait job --namespace "$namespace" --selector "$selector" --for=condition=complete --timeout=15m
kubectl apply -k "$overlay"
