# Brine: every set-up step a fresh Debian machine needs lives here.
#   make demo   install what is missing, build release, run brine on a bundled artifact
#   make test   install what the tests need, build, run every test (Swift + Python conformance)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

APT_PACKAGES := zlib1g-dev libarchive-dev pkg-config
SWIFT ?= swift
RELEASE_BIN := .build/release/brine
DEBUG_BIN := .build/debug/brine
DEMO_ARTIFACT := fixtures/joblib/pipeline.joblib.gz
DIS_ARTIFACT := fixtures/pickle/sklearn_pipeline_p4.pkl
CHECK_ARTIFACT := fixtures/check/findings/main_pipeline.pkl
BUNDLE_ARTIFACT := fixtures/bundles/sagemaker/model-torch.tar.gz

.PHONY: help deps build release demo venv venv-torch venv-formats test conformance conformance-torch conformance-formats fixtures-formats malformed fixtures fixtures-torch opcode-table clean fuzz fuzz-build test-asan

help:
	@echo "make demo    install system packages, build release, run brine on a bundled artifact"
	@echo "make test    install test dependencies and run every test"
	@echo "make fixtures  regenerate fixtures/ with the pinned Python libraries"
	@echo "make fixtures-torch  regenerate fixtures/torch/ with the pinned torch and fastai"
	@echo "make fixtures-formats  regenerate fixtures/formats/ with the pinned safetensors, numpy, gguf, onnx"
	@echo "make bench   time brine against pickletools, picklescan, fickling on a 300 MB+ artifact"
	@echo "make fuzz    run every libFuzzer target for FUZZ_SECONDS (default 60) each; logs in .fuzz/"
	@echo "make test-asan  Swift tests and the malformed corpus under AddressSanitizer"

# System libraries for the zlib and libarchive module maps. apt-get runs only when
# something is missing, so repeated runs cost nothing.
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --static-swift-stdlib

demo: release
	@echo "== brine inspect $(DEMO_ARTIFACT): where the bytes of a gzip'd joblib scikit-learn pipeline go"
	@$(RELEASE_BIN) inspect --depth 4 $(DEMO_ARTIFACT)
	@echo
	@echo "== brine strip --preset deploy $(DEMO_ARTIFACT): the same pipeline without what only training needed"
	@out="$$(mktemp -d)/pipeline.joblib.gz"; $(RELEASE_BIN) strip --preset deploy $(DEMO_ARTIFACT) -o "$$out"; rm -rf "$$(dirname "$$out")"
	@echo
	@echo "== brine check $(CHECK_ARTIFACT): why this pipeline will not load on the server (exit 1: findings)"
	@$(RELEASE_BIN) check $(CHECK_ARTIFACT) || [ $$? -eq 1 ]
	@echo
	@echo "== brine repack $(BUNDLE_ARTIFACT) --limit 800KB: a SageMaker model.tar.gz made to fit"
	@out="$$(mktemp -d)"; $(RELEASE_BIN) repack $(BUNDLE_ARTIFACT) -o "$$out/model.tar.gz" --limit 800KB; rm -rf "$$out"
	@echo
	@echo "== brine dis $(DIS_ARTIFACT), compared with python -m pickletools"
	@python3 -m pickletools $(DIS_ARTIFACT) | cmp - <($(RELEASE_BIN) dis $(DIS_ARTIFACT)) && echo "identical to pickletools"

# The pinned Python environment (scikit-learn < 1.5, joblib, pytest) lives under
# ~/.cache/brine, outside the clone; fixtures/venv.sh prints its path.
venv:
	@bash fixtures/venv.sh >/dev/null

test: build venv venv-torch venv-formats
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) --no-print-directory conformance
	$(MAKE) --no-print-directory conformance-torch
	$(MAKE) --no-print-directory conformance-formats
	$(MAKE) --no-print-directory malformed

# The malformed corpus (fixtures/malformed/generate.py: truncations, bit flips, huge lengths,
# bombs, canaries, archive tricks) replayed against the debug binary; see docs/fuzzing.md.
MALFORMED_DIR ?= .build/malformed
MALFORMED_BIN ?= $(DEBUG_BIN)
MALFORMED_FLAGS ?= --timeout 60 --max-rss-mb 1024
malformed: build
	@rm -rf $(MALFORMED_DIR) && python3 fixtures/malformed/generate.py $(MALFORMED_DIR)
	python3 Tests/malformed/replay.py $(MALFORMED_BIN) $(MALFORMED_DIR) $(MALFORMED_FLAGS) --summary $(MALFORMED_DIR)/summary.json

# AddressSanitizer: a separate build directory, the Swift tests, then the corpus. Not part of
# `make test` (it doubles the build); run it before merging engine changes.
ASAN_BUILD := .build-asan
test-asan: deps
	$(SWIFT) build --build-tests --sanitize=address --build-path $(ASAN_BUILD)
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --skip-build --sanitize=address --build-path $(ASAN_BUILD)
	ASAN_OPTIONS=detect_leaks=0 $(MAKE) --no-print-directory malformed MALFORMED_BIN=$(ASAN_BUILD)/debug/brine \
	  MALFORMED_FLAGS="--timeout 180 --max-rss-mb 4096" MALFORMED_DIR=$(ASAN_BUILD)/malformed

# libFuzzer targets live in Fuzz/ (their own package, so the main build never sees
# sanitizer flags). FUZZ_SECONDS per target; findings land in fixtures/malformed/fuzz-crashes.
FUZZ_SECONDS ?= 60
fuzz-build: deps
	$(SWIFT) build -c release --package-path Fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -g
fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/run.sh $(FUZZ_TARGETS)

conformance: build venv
	@venv=$$(bash fixtures/venv.sh); \
	BRINE_BIN=$(CURDIR)/$(DEBUG_BIN) "$$venv/bin/python" -m pytest -q Tests/conformance

fixtures: venv
	@venv=$$(bash fixtures/venv.sh); "$$venv/bin/python" fixtures/generate.py

# torch and fastai live in their own pinned venv: PyPI's torch brings several GB of CUDA
# wheels (see fixtures/requirements-torch.txt), kept under ~/.cache/brine, outside the clone.
TORCH_VENV = BRINE_REQUIREMENTS=$(CURDIR)/fixtures/requirements-torch.txt BRINE_VENV_NAME=torch-venv bash fixtures/venv.sh

venv-torch:
	@$(TORCH_VENV) >/dev/null

conformance-torch: build venv-torch
	@venv=$$($(TORCH_VENV)); \
	BRINE_BIN=$(CURDIR)/$(DEBUG_BIN) "$$venv/bin/python" -m pytest -q -p no:cacheprovider Tests/conformance_torch

fixtures-torch: venv-torch
	@venv=$$($(TORCH_VENV)); "$$venv/bin/python" fixtures/torch/generate_torch.py

# safetensors, numpy, gguf and onnx for the tensor-format fixtures and their round-trip tests
# (fixtures/requirements-formats.txt), in a venv of their own under ~/.cache/brine.
FORMATS_VENV = BRINE_REQUIREMENTS=$(CURDIR)/fixtures/requirements-formats.txt BRINE_VENV_NAME=formats-venv bash fixtures/venv.sh

venv-formats:
	@$(FORMATS_VENV) >/dev/null

conformance-formats: build venv-formats
	@venv=$$($(FORMATS_VENV)); \
	BRINE_BIN=$(CURDIR)/$(DEBUG_BIN) "$$venv/bin/python" -m pytest -q -p no:cacheprovider Tests/conformance_formats

fixtures-formats: venv-formats
	@venv=$$($(FORMATS_VENV)); "$$venv/bin/python" fixtures/formats/generate_formats.py

opcode-table:
	python3 fixtures/tools/opcode_table.py > Sources/Brine/Pickle/PickleOpcode+Table.swift

clean:
	rm -rf .build

# `make bench`: brine against its peers on a generated 300 MB+ vectorizer; writes docs/benchmarks.md.
include Tests/bench/bench.mk
