# emrflow — every command a user or CI needs. `make run` and `make test` work on a machine
# with only Rust, Python 3.11 + pip, Node and Java: they install the rest into .venv/ and .tools/.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help run test test-slow build bench validate template deploy start teardown fmt lint unit asl-validate \
        spark-env lambda-tools node-tools moto-tools java-check local-emr aws-cli data-lake \
        browser-tools screenshots prices-snapshot

PYSPARK_VERSION       := 4.3.0
CARGO_LAMBDA_VERSION  := 1.9.2
ZIG_VERSION           := 0.15.1
ASL_VALIDATOR_VERSION := 4.0.0
AWSCLI_VERSION        := 1.45.11
MOTO_VERSION          := 5.2.5

VENV          := .venv
TOOLS         := .tools
LAMBDA_VENV   := $(TOOLS)/lambda-venv
AWSCLI_VENV   := $(TOOLS)/awscli-venv
NPM_PREFIX    := $(TOOLS)/npm
MOTO_VENV     := $(TOOLS)/moto-venv
FUNCTIONS     := validate-input ensure-cluster termination-protection add-steps check-steps \
                 terminate-cluster start-daily await-steps emr-events reap-execution \
                 check-start await-data
# The functions that read the pipelines folder: those that re-derive an execution's pipeline,
# and start-daily (each schedule names its pipeline, whose time zone decides the day).
PIPELINE_FUNCTIONS := validate-input ensure-cluster add-steps check-steps start-daily \
                      check-start await-data
PIPELINES     ?= pipelines
PIPELINE      ?= daily-etl
INPUT         ?= examples/input.json
DEPLOY_ARGS   ?=
LOCAL_ROOT    ?= .local
STACK_NAME    ?= emrflow

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

run: spark-env ## a pipeline of pipelines/ by name (PIPELINE=daily-etl), offline: real state machine, real handlers, local EMR
	cargo run -q -p emrflow -- local run --input '$(INPUT)' --pipelines $(PIPELINES) \
	  --pipeline-name $(PIPELINE) --root $(LOCAL_ROOT) --s3-from examples/s3

# Seed 001's data-lake pipeline (pipelines/data-lake.json). Its quality monitor is a
# Java class: compiled here into the example's S3 folder (gitignored), --release 17 so that
# the JAR runs on emr-7.x's Java 17 whatever JDK builds it.
DATA_LAKE_APPS := examples/s3/data-lake-example/monitoring-apps
data-lake: spark-env ## seed 001's data-lake pipeline, offline: validate → dedup → Hive → analytics ∥ → monitor + archive
	@command -v javac >/dev/null || { echo "javac is missing: the quality monitor JAR needs a JDK 17+ (e.g. apt-get install openjdk-17-jdk-headless)." >&2; exit 1; }
	classes=$$(mktemp -d) && trap 'rm -rf "$$classes"' EXIT && \
	  javac --release 17 -d "$$classes" $(DATA_LAKE_APPS)/src/com/company/QualityMonitor.java && \
	  jar --create --file $(DATA_LAKE_APPS)/quality-monitor.jar -C "$$classes" .
	cargo run -q -p emrflow -- local run --pipelines $(PIPELINES) --pipeline-name data-lake \
	  --root $(LOCAL_ROOT) --s3-from examples/s3 --input '{"ProcessingDate":"2026-11-21"}'

local-emr: spark-env ## serve the local EMR endpoint on 127.0.0.1:4599 (AWS CLI: --endpoint-url)
	cargo run -q -p emrflow -- local emr --addr 127.0.0.1:4599 --root $(LOCAL_ROOT)

test: fmt lint spark-env asl-validate unit validate ## everything CI checks, offline

fmt: ## rustfmt check
	cargo fmt --all -- --check

lint: ## clippy, warnings are errors
	cargo clippy --workspace --all-targets -- -D warnings

unit: spark-env aws-cli moto-tools browser-tools ## all Rust tests but the slow suites: core, handlers, local EMR, ASL interpreter, every state machine path, the token store on moto
	cargo test --workspace

# The slow end-to-end suites (whole Spark and Hive pipelines, the runner's bounded exit with a
# hung EMR): `#[ignore = "slow: make test-slow"]`, run by CI after `make test`.
test-slow: spark-env aws-cli moto-tools ## the slow end-to-end suites: data lake, multi-tenant, Hive, a hung EMR
	cargo test --workspace -- --ignored

asl-validate: node-tools ## the definition passes asl-validator
	$(NPM_PREFIX)/node_modules/.bin/asl-validator --json-path statemachine/emrflow.asl.json

validate: template ## the rendered SAM template: cfn-lint (SAM transform), sam validate --lint, checkov, substitutions, IAM scope, schedules
	bash infra/validate.sh

# CloudFormation cannot loop over files: the deployed template is infra/template.yaml with one
# EventBridge Scheduler schedule per pipeline, rendered into target/ once every pipeline passes
# `emrflow validate` (the checks Validate_Input makes; a problem names its file and key).
template: ## validate pipelines/ and render target/template.yaml (a schedule per pipeline)
	mkdir -p target
	cargo run -q -p emrflow -- validate $(PIPELINES)
	cargo run -q -p emrflow -- validate --json $(PIPELINES) > target/pipelines.json
	python3 infra/render_template.py --pipelines target/pipelines.json --out target/template.yaml

build: lambda-tools ## cross-compile every function for arm64 into target/lambda/<fn>/bootstrap
	rustup target add aarch64-unknown-linux-gnu >/dev/null
	PATH="$(CURDIR)/$(LAMBDA_VENV)/bin:$$PATH" cargo lambda build --release --arm64 \
	  $(addprefix -p ,$(FUNCTIONS))
	@# The functions that read pipelines get the same folder (validated first, as at deploy).
	cargo run -q -p emrflow -- validate $(PIPELINES)
	for f in $(PIPELINE_FUNCTIONS); do rm -rf target/lambda/$$f/pipelines target/lambda/$$f/pipeline.json && \
	  mkdir -p target/lambda/$$f/pipelines && cp $(PIPELINES)/*.json target/lambda/$$f/pipelines/; done
	@for f in $(FUNCTIONS); do python3 infra/is_aarch64_elf.py target/lambda/$$f/bootstrap || exit 1; done

# The console's pages as a person sees them, written by its browser test (README shows one).
screenshots: spark-env browser-tools ## the console's pages as PNG: docs/console-*.png (headless Chromium)
	mkdir -p docs
	EMRFLOW_SCREENSHOTS=$(CURDIR)/docs cargo test -q -p emrflow --test console_browser

bench: spark-env build ## speed, cost and size targets (never in timed tests): see tests/bench/
	@# The functions and a hello-world lambda_runtime binary, built alike, for the cold starts.
	cargo build --profile bench $(addprefix -p ,$(FUNCTIONS)) --bins
	cargo build --profile bench -p emrflow-lambda --example hello
	cargo bench -p emrflow-tests

deploy: build template ## sam deploy of target/template.yaml (guided the first time); DEPLOY_ARGS go to sam deploy
	bash infra/deploy.sh $(STACK_NAME) $(DEPLOY_ARGS)

start: ## start a pipeline by hand: make start PIPELINE=daily-etl INPUT='{"ProcessingDate":"2026-11-20"}'
	bash infra/start.sh $(STACK_NAME) '$(INPUT)' '$(PIPELINE)'

# Needs the internet (AWS's public price list files; the EC2 file of a region is hundreds of
# MB): it cannot run offline. PRICES_FROM=DIR reads saved files instead.
prices-snapshot: ## rewrite functions/core/prices/snapshot.json from AWS's public price lists (needs the internet)
	python3 infra/prices/refresh.py $(if $(PRICES_FROM),--from $(PRICES_FROM))

teardown: ## delete the stack (clusters are not touched)
	bash infra/teardown.sh $(STACK_NAME)

java-check:
	@command -v java >/dev/null || { echo "Java is missing: local Spark and custom JAR steps need a JDK 17+ (e.g. apt-get install openjdk-17-jdk-headless)." >&2; exit 1; }

spark-env: java-check $(VENV)/.pyspark-$(PYSPARK_VERSION)
$(VENV)/.pyspark-$(PYSPARK_VERSION):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check pyspark==$(PYSPARK_VERSION)
	touch $@

# A real client of the local EMR besides our SDK: local/emr's tests run `aws emr add-steps`.
aws-cli: $(AWSCLI_VENV)/.awscli-$(AWSCLI_VERSION)
$(AWSCLI_VENV)/.awscli-$(AWSCLI_VERSION):
	python3 -m venv $(AWSCLI_VENV)
	$(AWSCLI_VENV)/bin/pip install --quiet --disable-pip-version-check awscli==$(AWSCLI_VERSION)
	touch $@

lambda-tools: $(LAMBDA_VENV)/.cargo-lambda-$(CARGO_LAMBDA_VERSION)
$(LAMBDA_VENV)/.cargo-lambda-$(CARGO_LAMBDA_VERSION):
	python3 -m venv $(LAMBDA_VENV)
	$(LAMBDA_VENV)/bin/pip install --quiet --disable-pip-version-check \
	  cargo-lambda==$(CARGO_LAMBDA_VERSION) ziglang==$(ZIG_VERSION)
	touch $@

# Headless Chromium and its WebDriver for the console's browser tests (local/cli/tests/
# console_browser.rs): Debian's packages, installed once (as root, or through sudo).
browser-tools: ## Debian's chromium and chromium-driver, for the console's browser tests
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  as_root=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$as_root apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$as_root apt-get install -y -qq --no-install-recommends chromium chromium-driver; \
	fi

# moto's server: a real DynamoDB peer on loopback for the token store's tests (functions/events).
moto-tools: $(MOTO_VENV)/.moto-$(MOTO_VERSION)
$(MOTO_VENV)/.moto-$(MOTO_VERSION):
	python3 -m venv $(MOTO_VENV)
	$(MOTO_VENV)/bin/pip install --quiet --disable-pip-version-check 'moto[server]==$(MOTO_VERSION)'
	touch $@

node-tools: $(NPM_PREFIX)/.asl-validator-$(ASL_VALIDATOR_VERSION)
$(NPM_PREFIX)/.asl-validator-$(ASL_VALIDATOR_VERSION):
	mkdir -p $(NPM_PREFIX)
	cd $(NPM_PREFIX) && npm install --no-audit --no-fund --silent asl-validator@$(ASL_VALIDATOR_VERSION)
	touch $@
