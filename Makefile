# Rasad: build, test and run. `make` alone lists the targets.
#
# Knobs (make VAR=value or the environment):
#   FUZZTIME      how long each fuzz target runs in `make test` (2s; longer by hand: make test FUZZTIME=1m)
#   TEST_TIMEOUT  go test -timeout per package (8m)
#   RACE          race detector flag for `make test` (-race; needs gcc)
#   DATABASE_URL, REDIS_URL   what `make run` uses (local defaults below)
#   TEST_DATABASE_URL, TEST_REDIS_URL   read by the tests themselves

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

ifeq ($(filter oneshell,$(.FEATURES)),)
$(error GNU make 3.82 or newer is needed (macOS: brew install make, then use gmake))
endif

# Go is often in /usr/local/go without being on PATH.
ifeq ($(shell command -v go 2>/dev/null),)
export PATH := /usr/local/go/bin:$(PATH)
endif

GO           ?= go
GOFMT        ?= gofmt
FUZZTIME     ?= 2s
TEST_TIMEOUT ?= 8m
RACE         ?= -race
# End-to-end tests mostly wait on Postgres, Redis and HTTP, not the CPU.
TEST_PARALLEL ?= 8

DEFAULT_DATABASE_URL := postgres://postgres@127.0.0.1:5432/rasad?sslmode=disable
DATABASE_URL ?= $(DEFAULT_DATABASE_URL)
REDIS_URL    ?= redis://127.0.0.1:6379/1

.PHONY: help build test lint bench run services docker up clean

help: ## list the targets
	@echo 'usage: make TARGET'
	awk 'BEGIN { FS = ":[^#]*## " } /^[a-z][a-z-]*:.*## / { printf "  %-9s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

build: ## build the binary ./rasad (a build artifact: do not commit it)
	$(GO) build -trimpath -o rasad ./cmd/rasad

test: ## the whole suite: go vet, go test -race, then each fuzz target for FUZZTIME (needs make services)
	@summary=(); failed=0
	pass() { summary+=("ok    $$1"); }
	fail() { summary+=("FAIL  $$1"); failed=1; }
	files() ( shopt -s nullglob; f=("$$1"/*); echo "$${#f[@]}" )

	echo "==> go vet ./..."
	if $(GO) vet ./...; then pass "go vet ./..."; else fail "go vet ./..."; fi

	echo "==> go test $(strip $(RACE) -count=1 -parallel $(TEST_PARALLEL)) -timeout $(TEST_TIMEOUT) ./..."
	if [ -n "$(RACE)" ] && [ "$$($(GO) env CGO_ENABLED)" != 1 ]; then
		echo "the race detector needs cgo and a C compiler: apt-get install gcc (or make test RACE=)" >&2
	fi
	start=$$SECONDS
	if $(GO) test $(RACE) -count=1 -parallel $(TEST_PARALLEL) -timeout $(TEST_TIMEOUT) ./...; then
		pass "go test $(strip $(RACE) ./...) ($$((SECONDS - start))s)"
	else
		fail "go test $(strip $(RACE) ./...) ($$((SECONDS - start))s)"
	fi

	echo "==> fuzz targets, $(FUZZTIME) each"
	targets=0
	if ! pkgs=$$($(GO) list -f '{{.ImportPath}} {{.Dir}}' ./...); then
		fail "fuzz: go list ./... failed"
	fi
	while read -r pkg dir; do
		[ -n "$$pkg" ] || continue
		# The targets are read off the source: go test -list would build
		# each package's tests once more just to name them.
		names=$$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$$dir"/*_test.go </dev/null 2>/dev/null || true)
		[ -n "$$names" ] || continue
		for name in $$names; do
			targets=$$((targets + 1))
			corpus="$$dir/testdata/fuzz/$$name"
			# A failure that saved no input is retried, up to twice: go test
			# -fuzz sometimes fails spuriously when -fuzztime runs out
			# (golang/go#56238), and has done so twice in a row here.
			for attempt in 1 2 3; do
				echo "--- $$pkg $$name"
				before=$$(files "$$corpus")
				if $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$pkg" </dev/null; then
					result=ok
					break
				fi
				if [ "$$(files "$$corpus")" -gt "$$before" ]; then
					result=crash
					break
				fi
				result=error
				[ "$$attempt" = 3 ] || echo "--- $$name failed without saving an input; once more"
			done
			case "$$result.$$attempt" in
			ok.1) pass "fuzz $$pkg $$name ($(FUZZTIME))" ;;
			ok.*) pass "fuzz $$pkg $$name ($(FUZZTIME), passed when retried)" ;;
			crash.*) fail "fuzz $$pkg $$name (failing input saved in $${corpus#"$$PWD"/})" ;;
			*) fail "fuzz $$pkg $$name (failed three times, no input saved: see the output above)" ;;
			esac
		done
	done <<<"$${pkgs:-}"
	[ "$$targets" -gt 0 ] || summary+=("--    no fuzz targets found")

	echo
	echo "==> summary"
	printf '%s\n' "$${summary[@]}"
	if [ "$$failed" -ne 0 ]; then echo "FAIL"; exit 1; fi
	echo "PASS"

lint: ## gofmt -l must list nothing, then go vet
	@unformatted=$$($(GOFMT) -l .)
	if [ -n "$$unformatted" ]; then
		echo "gofmt -l: these files need gofmt -w:" >&2
		echo "$$unformatted" >&2
		exit 1
	fi
	$(GO) vet ./...
	echo "lint: ok"

bench: ## run the benchmarks (needs make services)
	$(GO) test -run '^$$' -bench . -benchmem ./...

run: ## rasad serve against local Postgres (database rasad) and Redis db 1; without BOT_TOKEN: the browser playground
	@if [ -z "$${BOT_TOKEN:-}" ]; then
		echo "BOT_TOKEN is not set: starting the playground (the bot in a browser page, on $${PLAYGROUND_ADDR:-127.0.0.1:8080})"
	fi
	if [ '$(DATABASE_URL)' = '$(DEFAULT_DATABASE_URL)' ]; then
		has_db() { psql -X -w -U postgres -h 127.0.0.1 -p 5432 -d postgres -Atc "select 1 from pg_database where datname = 'rasad'" </dev/null; }
		if ! found=$$(has_db); then
			echo "cannot reach PostgreSQL on 127.0.0.1:5432 as postgres; start it with: make services" >&2
			exit 1
		fi
		if [ "$$found" != 1 ]; then
			createdb -w -U postgres -h 127.0.0.1 -p 5432 rasad </dev/null || [ "$$(has_db)" = 1 ]
			echo "created database rasad"
		fi
	fi
	DATABASE_URL='$(DATABASE_URL)' REDIS_URL='$(REDIS_URL)' $(GO) run ./cmd/rasad serve

services: ## install (apt-get, if missing) and start local PostgreSQL and Redis
	@bash .ci/services

docker: ## build the container image rasad
	docker build -t rasad .

up: ## docker compose up --build (Postgres, Redis and the bot; without BOT_TOKEN: the playground on 127.0.0.1:8080)
	docker compose up --build

clean: ## remove the ./rasad binary
	rm -f rasad
