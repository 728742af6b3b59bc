# hiresync — build, run and test. `make run` and `make test` are the
# README's two commands; each installs what it needs on a new machine.

GO            ?= go
BIN           := $(CURDIR)/bin
TEMPORAL      := $(BIN)/temporal
WORKFLOWCHECK := $(BIN)/workflowcheck
HIRESYNC      := $(BIN)/hiresync

TEMPORAL_SERVER   := $(BIN)/temporal-server
TEMPORAL_SQL_TOOL := $(BIN)/temporal-sql-tool
TEMPORAL_UI       := $(BIN)/temporal-ui-server

TEMPORAL_CLI_VERSION  := v1.5.1
# The server release the CLI embeds: the cluster runs what the dev server runs.
TEMPORAL_SERVER_VERSION := v1.29.1
# The Web UI release the CLI embeds and compose's temporal-ui runs.
TEMPORAL_UI_VERSION := v2.42.1
WORKFLOWCHECK_VERSION := v0.6.0
# Longest a whole test run may take; CI allows 90 minutes.
TEST_TIMEOUT ?= 40m

export HIRESYNC_TEMPORAL_CLI := $(TEMPORAL)
export HIRESYNC_BIN := $(HIRESYNC)

.PHONY: all build tools cluster-tools chromium run test cluster cluster-stop test-cluster bench lint fmt-check vet workflowcheck fuzz clean

all: build

build:
	$(GO) build -o $(HIRESYNC) ./cmd/hiresync

# The Temporal CLI (dev server and `temporal` commands), built from source:
# about 4 minutes the first time, then from the build cache.
tools: $(TEMPORAL) $(WORKFLOWCHECK)

$(TEMPORAL):
	GOBIN=$(BIN) $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)

# Temporal server and temporal-sql-tool for the PostgreSQL cluster, built
# from source like the CLI (3-4 minutes each the first time).
cluster-tools: $(TEMPORAL_SERVER) $(TEMPORAL_SQL_TOOL)

$(TEMPORAL_SERVER):
	GOBIN=$(BIN)/.install $(GO) install go.temporal.io/server/cmd/server@$(TEMPORAL_SERVER_VERSION)
	mv $(BIN)/.install/server $@

$(TEMPORAL_SQL_TOOL):
	GOBIN=$(BIN)/.install $(GO) install go.temporal.io/server/cmd/tools/sql@$(TEMPORAL_SERVER_VERSION)
	mv $(BIN)/.install/sql $@

# The Web UI for `make cluster` (the dev server has its own built in).
$(TEMPORAL_UI):
	GOBIN=$(BIN)/.install $(GO) install github.com/temporalio/ui-server/v2/cmd/server@$(TEMPORAL_UI_VERSION)
	mv $(BIN)/.install/server $@

$(WORKFLOWCHECK):
	GOBIN=$(BIN) $(GO) install go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION)

# Headless Chromium for the test that looks at the doubles' pages, from
# Debian's package when missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium package for the page tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# The local run: Temporal dev server (SQLite under .data/, Web UI :8233),
# the Slack and HubSpot doubles when no tokens are set, and `hiresync serve`.
run: build tools
	./scripts/run-local.sh

# The production engine as plain processes: PostgreSQL (Debian's package,
# installed when missing) with its own data under .data/cluster/, the schema,
# and Temporal's frontend, history, matching and worker services on
# deploy/temporal/hiresync.yaml, the configuration docker-compose.yml runs.
# Frontend on 127.0.0.1:17233, Web UI on http://127.0.0.1:18233; a second
# `make cluster` finds it running.
export TEMPORAL_SERVER TEMPORAL_SQL_TOOL TEMPORAL_UI
export TEMPORAL_CLI := $(TEMPORAL)
cluster: build tools cluster-tools $(TEMPORAL_UI)
	./scripts/cluster.sh start

cluster-stop:
	./scripts/cluster.sh stop

# The end-to-end suite (the chaos run's short profile included) on a fresh
# cluster of its own (.data/test-cluster, frontend on 127.0.0.1:27233),
# stopped at the end whatever the outcome.
TEST_CLUSTER := CLUSTER_DIR=$(CURDIR)/.data/test-cluster CLUSTER_PORT_OFFSET=20000
test-cluster: build tools cluster-tools
	$(TEST_CLUSTER) ./scripts/cluster.sh destroy >/dev/null
	$(TEST_CLUSTER) ./scripts/cluster.sh start || { $(TEST_CLUSTER) ./scripts/cluster.sh stop; exit 1; }
	$(TEST_CLUSTER) HIRESYNC_TEST_CLUSTER=1 $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./testsuite/; \
	status=$$?; $(TEST_CLUSTER) ./scripts/cluster.sh stop; exit $$status

# Everything: static checks, unit tests, end-to-end tests on a real dev
# server (including the chaos run's short profile), and a short fuzz of the
# parsers. Packages run one at a time (-p 1) so the rate-limit tests are not
# timed on a machine busy with the end-to-end suite.
test: build tools chromium lint
	$(GO) test -race -p 1 -count=1 -timeout $(TEST_TIMEOUT) ./...
	$(MAKE) fuzz

# The benchmarks of BENCHMARKS.md: bounded, loopback only, about 20
# minutes; rewrites BENCHMARKS.md with the figures of this machine. Rows 1
# and 5 run on a dev server and again on a PostgreSQL cluster of their own
# (scripts/cluster.sh, in /tmp/hiresync-bench-cluster, ports offset by
# 25000), rows 5b and 7 on the cluster alone; targets are judged on the
# cluster.
bench: build tools cluster-tools
	HIRESYNC_BENCH=1 GO=$(GO) $(GO) test -count=1 -timeout 40m -run '^TestBench$$' -v ./bench/

lint: fmt-check vet workflowcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.data/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

workflowcheck: $(WORKFLOWCHECK)
	$(WORKFLOWCHECK) ./workflows/...

# A count, not a duration: a time budget that ends while a worker minimises a
# new input fails with "context deadline exceeded" on a busy machine.
FUZZTIME ?= 20000x
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzVerifyHeader$$' -fuzztime $(FUZZTIME) ./signature/
	$(GO) test -run '^$$' -fuzz '^FuzzParseEvent$$' -fuzztime $(FUZZTIME) ./ingress/

clean:
	rm -rf $(BIN)
