#!/usr/bin/env bash
# Creates the Secrets Groundtruth needs in NAMESPACE, with random values, unless they already exist.
# For a development cluster; in production, create them from your secret manager (External Secrets,
# Sealed Secrets, Vault...) with the same names and keys. Values are generated here and never printed.
#
#   deploy/k8s/scripts/create-secrets.sh groundtruth-dev
#
# groundtruth-db-<service>   kubernetes.io/basic-auth; username = the service's PostgreSQL role,
#                            password = its password (CloudNativePG's managed roles read it). Hex, so it
#                            needs no escaping inside DATABASE_URL.
# groundtruth-capture        encryption-key: the key capture encrypts provider secrets with at rest
#                            (32 random bytes, URL-safe base64). Losing it makes every stored connection
#                            secret unreadable: back it up.
# groundtruth-gateway        api-key-pepper: the key API keys are hashed under (HMAC-SHA256). Rotating it
#                            invalidates every issued API key.
#                            token-signing-key: signs the web pages' short-lived tokens; rotating it
#                            only ends the current tokens (optional: derived from the pepper if absent).
#                            cursor-signing-key: signs feed cursors and page tokens; rotating it makes
#                            plugins resume from their last ack (optional: derived from the pepper).
# groundtruth-webhooks       secret-keys: Fernet keys (comma-separated, the first seals) the gateway seals
#                            tenants' webhook signing secrets with and scoring opens them with. Losing
#                            it makes stored webhook secrets unusable: tenants must send them again.
set -euo pipefail
namespace="${1:?usage: $0 NAMESPACE}"

exists() { kubectl get secret "$1" --namespace "$namespace" >/dev/null 2>&1; }

# create_once NAME --from-literal=... : a generic secret, created once and never rotated by this script.
create_once() {
    local name="$1"
    shift
    if exists "$name"; then
        echo "secret/$name exists, left as it is"
    else
        kubectl create secret generic "$name" --namespace "$namespace" "$@" \
            --dry-run=client -o yaml | kubectl apply -f -
    fi
}

for service in capture scoring gateway; do
    name="groundtruth-db-${service}"
    if exists "$name"; then
        echo "secret/${name} exists, left as it is"
        continue
    fi
    kubectl create secret generic "$name" --namespace "$namespace" --type kubernetes.io/basic-auth \
        --from-literal=username="$service" \
        --from-literal=password="$(openssl rand -hex 32)" \
        --dry-run=client -o yaml \
        | kubectl label --local -f - cnpg.io/reload=true -o yaml \
        | kubectl apply -f -
done

create_once groundtruth-capture \
    --from-literal=encryption-key="$(openssl rand 32 | basenc --base64url)"

create_once groundtruth-gateway \
    --from-literal=api-key-pepper="$(openssl rand -hex 32)" \
    --from-literal=token-signing-key="$(openssl rand -hex 32)" \
    --from-literal=cursor-signing-key="$(openssl rand -hex 32)"

create_once groundtruth-webhooks \
    --from-literal=secret-keys="$(openssl rand 32 | basenc --base64url)"
