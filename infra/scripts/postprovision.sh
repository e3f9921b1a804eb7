#!/usr/bin/env bash
# azd postprovision hook: makes sure the Key Vault secrets the app settings reference exist.
# Idempotent: an existing secret is never replaced.
#
#   session-keys            generated (32 random bytes, base64) when missing: SESSION_KEYS
#   stripe-secret-key       from $STRIPE_SECRET_KEY when set (azd env set STRIPE_SECRET_KEY ...)
#   stripe-webhook-secret   from $STRIPE_WEBHOOK_SECRET when set
#   entra-client-secret     created by infra/scripts/entra-app.sh
#
# Runs as the azd user, who holds Key Vault Secrets Officer on the vault (main.bicep).
set -euo pipefail

vault=${AZURE_KEY_VAULT_NAME:?AZURE_KEY_VAULT_NAME not set (run through azd)}

has() { az keyvault secret show --vault-name "$vault" --name "$1" >/dev/null 2>&1; }
put() { az keyvault secret set --vault-name "$vault" --name "$1" --value "$2" >/dev/null && echo "postprovision: set $1" >&2; }

has session-keys || put session-keys "$(openssl rand -base64 32)"
if [[ -n ${STRIPE_SECRET_KEY:-} ]] && ! has stripe-secret-key; then put stripe-secret-key "$STRIPE_SECRET_KEY"; fi
if [[ -n ${STRIPE_WEBHOOK_SECRET:-} ]] && ! has stripe-webhook-secret; then put stripe-webhook-secret "$STRIPE_WEBHOOK_SECRET"; fi
if [[ -n ${ENTRA_CLIENT_ID:-} ]] && ! has entra-client-secret; then
	echo "postprovision: ENTRA_CLIENT_ID is set but $vault has no entra-client-secret: run infra/scripts/entra-app.sh --keyvault $vault" >&2
fi
