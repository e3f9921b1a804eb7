# Meeting Minutes — every target is a thin wrapper over scripts/, so CI and people run the same thing.
SHELL := /usr/bin/env bash
.DEFAULT_GOAL := help

.PHONY: help run test build package bench lint fmt

help: ## List targets.
	@grep -E '^[a-zA-Z_/-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-14s %s\n", $$1, $$2}'

run: ## Run the product locally (standalone, local PostgreSQL, migrations, demo tenant) on :8080.
	@scripts/run.sh

test: ## Run every test; starts PostgreSQL, Azurite and stripe-mock as needed.
	@scripts/test.sh

build: ## Build ./bin/handler for this machine.
	@mkdir -p bin && CGO_ENABLED=0 go build -trimpath -ldflags "$$(scripts/ldflags.sh)" -o bin/handler ./handler

package: ## Stage .build/functionapp (host.json, handler linux/amd64, functions/*/function.json) and zip it.
	@scripts/package.sh

bench: ## Run the benchmark scripts under bench/ and print their figures.
	@scripts/bench.sh

lint: ## gofmt and go vet.
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	@go vet ./...

.PHONY: marketplace
marketplace: ## Build .build/marketplace.zip, the Marketplace managed-application package (checked).
	@scripts/marketplace.sh
