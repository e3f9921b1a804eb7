#!/usr/bin/env bash
# Builds the Marketplace managed-application package (make marketplace):
#
#   .build/marketplace.zip   mainTemplate.json, createUiDefinition.json, viewDefinition.json
#                            (from infra/marketplace/) and functionapp.zip at the zip root
#
# The package is checked (infra/templatecheck: arm-ttk rules, createUiDefinition rules)
# before it is written. Upload it per plan in Partner Center → Technical configuration.
#
# Environment:
#   MARKETPLACE_PLAN_ID  the plan this package is for (default standard)
#   PARTNER_CENTER_PID   the plan's customer usage attribution GUID (pid-<GUID>-partnercenter)
#   PACKAGE_SKIP_BUILD=1 reuse .build/functionapp.zip instead of running scripts/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ${PACKAGE_SKIP_BUILD:-} != 1 || ! -f .build/functionapp.zip ]]; then
	scripts/package.sh
fi
go run ./infra/marketplace/pack \
	-dir infra/marketplace \
	-app .build/functionapp.zip \
	-out .build/marketplace.zip \
	-plan "${MARKETPLACE_PLAN_ID:-standard}" \
	-pid "${PARTNER_CENTER_PID:-}"
