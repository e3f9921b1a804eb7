#!/usr/bin/env bash
# Creates or updates the Entra app registration Meeting Minutes signs users in with and calls
# Microsoft Graph as. Idempotent: run it again after a change (new host name, permission).
#
#   infra/scripts/entra-app.sh [--single-tenant] [--name NAME] [--host HOST] [--keyvault VAULT]
#
#   --name NAME        display name (default "Meeting Minutes"); the app is found by it
#   --host HOST        the app's host name, e.g. func-abc.azurewebsites.net; adds the redirect
#                      URIs https://HOST/api/app/auth/callback and https://HOST/api/consent/callback
#                      (default: azd env's AZURE_FUNCTION_APP_URL, when azd is installed)
#   --keyvault VAULT   store the client secret as entra-client-secret and create the Graph
#                      certificate entra-graph-cert in VAULT (default: AZURE_KEY_VAULT_NAME)
#   --single-tenant    a customer's own registration (Marketplace managed application):
#                      AzureADMyOrg instead of AzureADMultipleOrgs
#
# What it sets: sign-in audience; web redirect URIs; the Microsoft Graph application
# permissions the product needs (admin consent grants them per customer tenant):
#   OnlineMeetingTranscript.Read.All, OnlineMeetings.Read.All, OnlineMeetingArtifact.Read.All,
#   CallRecords.Read.All, Sites.ReadWrite.All, Mail.Send, User.Read.All
# and delegated openid, profile, email, offline_access, User.Read for sign-in; the "Operator"
# app role (our staff: operator console); a certificate credential (Key Vault) for Graph and a
# client secret for sign-in (ENTRA_CLIENT_SECRET), rotated only with --rotate-secret.
#
# Prints ENTRA_CLIENT_ID=<appId>; `azd env set ENTRA_CLIENT_ID <appId>` then `azd provision`.
# Needs: az (logged in as someone who may create app registrations), jq.
set -euo pipefail

name="Meeting Minutes"
audience=AzureADMultipleOrgs
host=""
vault=""
rotate=0
while (($#)); do
	case $1 in
	--name) name=$2; shift 2 ;;
	--host) host=$2; shift 2 ;;
	--keyvault) vault=$2; shift 2 ;;
	--single-tenant) audience=AzureADMyOrg; shift ;;
	--rotate-secret) rotate=1; shift ;;
	-h | --help) sed -n '2,30p' "$0"; exit 0 ;;
	*) echo "entra-app: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done

azd_value() { command -v azd >/dev/null 2>&1 && azd env get-value "$1" 2>/dev/null || true; }
if [[ -z $host ]]; then
	url=$(azd_value AZURE_FUNCTION_APP_URL)
	host=${url#https://}
	host=${host%/}
fi
[[ -n $vault ]] || vault=$(azd_value AZURE_KEY_VAULT_NAME)

graph=00000003-0000-0000-c000-000000000000
app_permissions=(OnlineMeetingTranscript.Read.All OnlineMeetings.Read.All OnlineMeetingArtifact.Read.All
	CallRecords.Read.All Sites.ReadWrite.All Mail.Send User.Read.All)
delegated_permissions=(openid profile email offline_access User.Read)

app_id=$(az ad app list --display-name "$name" --query "[0].appId" -o tsv)
if [[ -z $app_id ]]; then
	echo "entra-app: creating \"$name\" ($audience)" >&2
	app_id=$(az ad app create --display-name "$name" --sign-in-audience "$audience" --query appId -o tsv)
else
	echo "entra-app: updating \"$name\" ($app_id)" >&2
	az ad app update --id "$app_id" --sign-in-audience "$audience"
fi

if [[ -n $host ]]; then
	az ad app update --id "$app_id" --web-redirect-uris \
		"https://$host/api/app/auth/callback" "https://$host/api/consent/callback"
else
	echo "entra-app: no --host yet: run again after azd provision to add the redirect URIs" >&2
fi

# Microsoft Graph permissions, by id (looked up, not hard-coded). Replacing the whole list
# keeps reruns idempotent.
graph_sp=$(az ad sp show --id "$graph" -o json)
access=$(jq -n '[]')
for p in "${app_permissions[@]}"; do
	id=$(jq -r --arg v "$p" '.appRoles[] | select(.value == $v) | .id' <<<"$graph_sp")
	[[ -n $id ]] || { echo "entra-app: Graph has no application permission $p" >&2; exit 1; }
	access=$(jq --arg id "$id" '. + [{id: $id, type: "Role"}]' <<<"$access")
done
for p in "${delegated_permissions[@]}"; do
	id=$(jq -r --arg v "$p" '.oauth2PermissionScopes[] | select(.value == $v) | .id' <<<"$graph_sp")
	[[ -n $id ]] || { echo "entra-app: Graph has no delegated permission $p" >&2; exit 1; }
	access=$(jq --arg id "$id" '. + [{id: $id, type: "Scope"}]' <<<"$access")
done
az ad app update --id "$app_id" --required-resource-accesses \
	"$(jq -c --arg r "$graph" '[{resourceAppId: $r, resourceAccess: .}]' <<<"$access")"

# The Operator app role (stable id derived from the app id, so reruns do not duplicate it).
role_id=$(printf '%s' "$app_id-operator" | sha1sum | sed -E 's/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/\1-\2-\3-\4-\5/')
az ad app update --id "$app_id" --app-roles "$(jq -nc --arg id "$role_id" '[{
	allowedMemberTypes: ["User"], description: "Meeting Minutes operators (operator console)",
	displayName: "Operator", id: $id, isEnabled: true, value: "Operator"}]')"

# Service principal in our own tenant (admin consent elsewhere creates theirs).
az ad sp show --id "$app_id" >/dev/null 2>&1 || az ad sp create --id "$app_id" >/dev/null

if [[ -n $vault ]]; then
	# Certificate credential for Graph, kept in Key Vault; appended once.
	if ! az keyvault certificate show --vault-name "$vault" --name entra-graph-cert >/dev/null 2>&1; then
		az ad app credential reset --id "$app_id" --create-cert --keyvault "$vault" \
			--cert entra-graph-cert --append >/dev/null
		echo "entra-app: certificate entra-graph-cert created in $vault" >&2
	fi
	# Client secret for sign-in (ENTRA_CLIENT_SECRET), created once or on --rotate-secret.
	if ((rotate)) || ! az keyvault secret show --vault-name "$vault" --name entra-client-secret >/dev/null 2>&1; then
		secret=$(az ad app credential reset --id "$app_id" --display-name sign-in --years 1 --append --query password -o tsv)
		az keyvault secret set --vault-name "$vault" --name entra-client-secret --value "$secret" >/dev/null
		echo "entra-app: client secret stored as $vault/entra-client-secret" >&2
	fi
else
	echo "entra-app: no Key Vault: create the credentials later with --keyvault" >&2
fi

echo "ENTRA_CLIENT_ID=$app_id"
