# ordersaga — the two commands that matter are `make up` and `make test`.
SHELL := /bin/bash
# The estate's Node 24, which infra/local/node.sh fetches into .tools/node when the machine's node is
# older: first on PATH for every recipe (a folder that does not exist yet changes nothing).
export PATH := $(CURDIR)/.tools/node/bin:$(PATH)
.DEFAULT_GOAL := help

.PHONY: help up up-detached down status fetch stack services setup seed demo token bundle check record-histories load chaos bench-payments bench-saga test test-unit typecheck lint fmt schemas dlq-replay

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

up: ## fetch, start the dev stack and all services, seed, run a demo batch; Ctrl-C stops it all
	@infra/local/up.sh

up-detached: ## like `up`, but return once the demo batch is done and leave everything running
	@UP_DETACH=1 infra/local/up.sh

down: ## stop everything `make up` started, and nothing else
	@infra/local/down.sh

status: ## what is running, with ports
	@infra/local/stack.sh status; infra/local/services.sh status

fetch: ## fetch dependencies only (npm, Temporal CLI, Kafka jars, PostgreSQL, Mailpit)
	@infra/local/fetch.sh

stack: fetch ## start PostgreSQL, Kafka, Temporal and Mailpit only
	@infra/local/stack.sh up

setup: ## migrations and Kafka topics (needs the stack)
	@npx tsx infra/programs/setup/setup.ts

bundle: ## prebuild the workflow bundle and the web console if their code changed
	@infra/local/bundle.sh

services: setup bundle ## start the seven services (needs the stack)
	@infra/local/services.sh up

seed: ## stock the catalogue and set demo customers' preferences (needs the services)
	@npx tsx infra/programs/setup/seed.ts

demo: ## submit the demo batch through the gateway and wait for it (needs the services)
	@npx tsx infra/programs/setup/demo.ts

token: ## a bearer token for the local gateway, e.g. TOKEN=$$(make -s token CUSTOMER=cust-kim) (ROLE=admin, TTL=1h; docs/security.md)
	@npx tsx infra/programs/setup/token.ts --customer "$(CUSTOMER)" --role "$(ROLE)" --ttl "$(TTL)"

check: ## audit the running estate: reconcile every order with stock, shipments, the payment ledger, analytics, notifications (CHECK_FLAGS="--json", "--help")
	@npx tsx infra/programs/checks/invariants.ts $(CHECK_FLAGS)

load: ## drive traffic through the gateway, e.g. make load ARGS="--rate 5 --duration 60" (see docs/load-generator.md)
	@node --import tsx loadgen/main.ts $(ARGS)

chaos: ## kill -9 every piece, one at a time, under mixed load, then audit, e.g. make chaos ARGS="--duration 60 --rate 1" (docs/chaos.md)
	@node --import tsx infra/programs/chaos/main.ts $(ARGS)

bench-payments: ## approvals/s and latency of the TCP and HTTP payment lines (writes docs/benchmarks.md)
	@npx tsx bench/payment-channels.ts

bench-saga: ## saga throughput, the Temporal ceiling, accept latency and memory on the running estate (docs/benchmarks.md)
	@npx tsx bench/saga-throughput.ts

dlq-replay: ## re-drive dead letters to their topics after a fix, e.g. make dlq-replay ARGS="--consumer analytics --since 2h --dry-run" (docs/dead-letters.md)
	@npx tsx consumers/dead-letters/main.ts $(ARGS)

record-histories: ## re-record the replay fixtures in test/histories/ from the running estate
	@npx tsx test/histories/record.ts

schemas: ## regenerate platform/events/schemas/*.json from the event catalogue
	@npx tsx platform/events/write-schemas.ts

typecheck: ## TypeScript, strict (the services, and the web console with the browser's types)
	@npx tsc --noEmit -p . && npx tsc --noEmit -p console

lint: ## ESLint (typescript-eslint, type-checked rules) and Prettier's check over all code
	@npx eslint --max-warnings 0 . && npx prettier --check --log-level warn . && echo "lint: clean"

fmt: ## ESLint's fixes, then Prettier over all code (make lint checks what this writes)
	@npx eslint --fix .; status=$$?; npx prettier --write --log-level warn . && exit $$status

test: ## everything the tests need, then the whole suite (unit, workflow, integration, end to end)
	@infra/local/test.sh

test-unit: ## unit tests only, no infrastructure
	@npx ava 'test/unit/**/*.test.ts'
