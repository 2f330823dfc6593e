# `make bench`: brine side by side with its peers (pickletools, picklescan,
# fickling, modelscan, the pickle.load/dump round trip) on a >= 300 MB real
# scikit-learn artifact; rewrites docs/benchmarks.md. Include it from the
# top-level Makefile after RELEASE_BIN and the `release` target:
#
#   include Tests/bench/bench.mk
#
# Data and venv live under ~/.cache/brine (BRINE_BENCH_DIR, BRINE_BENCH_VENV).
# First run: about 6 minutes to build the artifact, then the timings
# (the Python peers are slow: see docs/benchmarks.md for how slow).

BENCH_RUNS ?= 5
BENCH_OUT ?= docs/benchmarks.md

.PHONY: bench bench-data bench-formats bench-scale bench-convert bench-semantics

# System packages and text corpora, the pinned venv, then the artifact
# (skipped when it is already there and current).
bench-data:
	@bash Tests/bench/setup.sh
	@venv="$$(bash Tests/bench/venv.sh)"; \
	  "$$venv/bin/python" Tests/bench/make_big_vectorizer.py >/dev/null
	@venv="$$(BRINE_REQUIREMENTS=$(CURDIR)/fixtures/requirements-torch.txt BRINE_VENV_NAME=torch-venv bash fixtures/venv.sh)"; \
	  "$$venv/bin/python" Tests/bench/make_big_checkpoint.py >/dev/null

bench: release bench-data
	@venv="$$(bash Tests/bench/venv.sh)"; \
	  "$$venv/bin/python" Tests/bench/run.py --brine $(RELEASE_BIN) --runs $(BENCH_RUNS) --out $(BENCH_OUT); \
	  "$$venv/bin/python" Tests/bench/scanners.py --brine $(RELEASE_BIN) --out $(BENCH_OUT)
	@$(MAKE) --no-print-directory bench-formats
	@$(MAKE) --no-print-directory bench-scale
	@$(MAKE) --no-print-directory bench-convert

# Tensor formats: inspect of >= 1 GB safetensors and GGUF files generated under /tmp at bench
# time (never committed) against safetensors.safe_open and gguf.GGUFReader.
bench-formats: release
	@venv="$$(BRINE_REQUIREMENTS=$(CURDIR)/fixtures/requirements-formats.txt BRINE_VENV_NAME=formats-venv bash fixtures/venv.sh)"; \
	  "$$venv/bin/python" Tests/bench/formats_bench.py --brine $(RELEASE_BIN) --runs $(BENCH_RUNS) --out $(BENCH_OUT)

# Issue 20: budget on the torch venv (~6 GB, ~45k files: the CUDA build of torch) cold and
# warm against tar | gzip -6 of the same slug, and check over 1,000 small and 20 large
# pickles (generated under /tmp) with --jobs 1 against the default. Prints each ratio
# against its goal.
bench-scale: release
	@venv="$$(BRINE_REQUIREMENTS=$(CURDIR)/fixtures/requirements-torch.txt BRINE_VENV_NAME=torch-venv bash fixtures/venv.sh)"; \
	  "$$venv/bin/python" Tests/bench/scale_bench.py --brine $(RELEASE_BIN) --venv "$$venv" --runs $(BENCH_RUNS) --out $(BENCH_OUT)

# brine convert of the PyTorch checkpoint to safetensors against torch.load + safetensors.torch.save_file
# (safetensors from the formats venv, linked onto the torch venv's path: Tests/bench/convert_bench.py).
bench-convert: release
	@venv="$$(BRINE_REQUIREMENTS=$(CURDIR)/fixtures/requirements-torch.txt BRINE_VENV_NAME=torch-venv bash fixtures/venv.sh)"; \
	  "$$venv/bin/python" Tests/bench/make_big_checkpoint.py >/dev/null; \
	  "$$venv/bin/python" Tests/bench/convert_bench.py --brine $(RELEASE_BIN) --runs $(BENCH_RUNS) --out $(BENCH_OUT)

# Issue 26: this tree's release binary against a baseline release binary (BASELINE=path, built
# from the commit before the fixes) on several >= 100 MB pickle shapes, with the C walk.
bench-semantics: release
	@test -n "$(BASELINE)" || { echo "bench-semantics: BASELINE=/path/to/baseline/brine (see Tests/bench/semantics_bench.py)"; exit 64; }
	@python3 Tests/bench/semantics_bench.py --brine $(RELEASE_BIN) --baseline $(BASELINE) --runs $(BENCH_RUNS) --out $(BENCH_OUT)
