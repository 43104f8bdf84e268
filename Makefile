# Quick start: `make demo` packs the bundled sample case; `make test` runs every test.
# Both install what they need when missing (Debian packages via apt-get, a .venv for Python).

PYTHON ?= python3
VENV := .venv
JOBS ?= 2
BUILD := build/release
BUILD_ASAN := build/asan
CMAKE_FLAGS := -G Ninja -DMEDMASK_WERROR=ON
# One compiler for the CMake builds and the wheel's (pip's CMake may pick g++ where ours picks
# c++): identical compile commands let ccache share objects between them. Make's default is g++.
export CXX
# Sanitizer builds at -O1 with line tables only: half the compile time of -O2 -g, the usual
# setting for ASan/TSan, and stack traces still name file and line.
SANITIZER_FLAGS := -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG"
SAMPLE := examples/data/s0000
# One clang-format version for everyone: formatting differs between releases.
CLANG_FORMAT ?= clang-format-14
CLI := $(BUILD)/cli/medmask
BUILD_FUZZ := build/fuzz
BUILD_TSAN := build/tsan
TSAN_TARGETS := test_concurrency test_archive
TSAN_TESTS := ^(Concurrency\.|MaskArchive\.ConstMethodsFromManyThreads)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := archive index codec_decode codec_roundtrip nifti seg_nrrd npy npz medmask_v1 label_files

.PHONY: all deps venv build build-asan python demo test test-cpp test-asan test-python \
        test-consumer format format-check lint-python clean
.PHONY: build-fuzz fuzz corrupt-full kill-full test-tsan

all: build

deps:
	@bash scripts/install_deps.sh

$(VENV)/.installed: requirements-dev.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	@touch $@

venv: deps $(VENV)/.installed

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	cmake -S . -B $(BUILD_ASAN) $(CMAKE_FLAGS) $(SANITIZER_FLAGS) \
	  -DMEDMASK_SANITIZE=ON -DMEDMASK_BUILD_CLI=OFF
	cmake --build $(BUILD_ASAN) -j $(JOBS)

# The same compile flags as the release build (-Werror included), so that ccache hands the
# wheel's build the release build's objects instead of compiling the core a second time.
python: venv
	$(VENV)/bin/pip install -q --no-build-isolation -C cmake.define.MEDMASK_WERROR=ON .

demo: build
	@bash scripts/demo.sh $(CLI) $(SAMPLE)

test-cpp: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-asan: build-asan
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(BUILD_ASAN) --output-on-failure -j $(JOBS)

test-python: python build
	MEDMASK_CLI=$(abspath $(CLI)) $(VENV)/bin/python -m pytest -q tests/python

# Also a ctest test of the release build (make test-cpp runs it).
test-consumer: build
	bash tests/cmake_consumer/run.sh $(BUILD)

format: deps $(VENV)/.installed
	$(CLANG_FORMAT) -i $$(git ls-files '*.cpp' '*.hpp')
	$(VENV)/bin/ruff format $(PYTHON_SOURCES)

format-check: deps
	$(CLANG_FORMAT) --dry-run --Werror $$(git ls-files '*.cpp' '*.hpp')

# ruff over the Python sources (rules in pyproject.toml): the linter, and the formatter as a check
# (`make format` applies it, with clang-format).
PYTHON_SOURCES := python tests/python tests/layers tests/docs tests/data/golden bench examples
lint-python: $(VENV)/.installed
	$(VENV)/bin/ruff check $(PYTHON_SOURCES)
	$(VENV)/bin/ruff format --check $(PYTHON_SOURCES)

# libFuzzer targets (clang, ASan + UBSan), each run FUZZ_SECONDS seconds: `make fuzz FUZZ_SECONDS=600`.
build-fuzz:
	@bash scripts/install_deps.sh --fuzz
	cmake -S . -B $(BUILD_FUZZ) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
	  -DMEDMASK_BUILD_FUZZ=ON -DMEDMASK_BUILD_TESTS=OFF -DMEDMASK_BUILD_CLI=OFF
	cmake --build $(BUILD_FUZZ) -j $(JOBS)

fuzz: build-fuzz
	@bash scripts/run_fuzzers.sh $(BUILD_FUZZ) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The corrupt-file suite in full (12,000 cases, ASan + UBSan); `make test` runs a sample of 500.
corrupt-full: build-asan
	MEDMASK_CORRUPT_CASES=12000 $(BUILD_ASAN)/tests/test_corrupt_suite

# SIGKILL a writer 1,200 times during add, replace, remove, group changes and compact; `make test`
# runs 30 kills.
kill-full: build
	MEDMASK_KILL_TRIALS=1200 $(BUILD)/tests/test_kill_writer

# ThreadSanitizer over the threaded decoder and the reader/writer tests only (a small build).
test-tsan: deps
	cmake -S . -B $(BUILD_TSAN) $(CMAKE_FLAGS) $(SANITIZER_FLAGS) -DMEDMASK_BUILD_CLI=OFF \
	  -DCMAKE_CXX_FLAGS=-fsanitize=thread -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread
	cmake --build $(BUILD_TSAN) -j $(JOBS) --target $(TSAN_TARGETS)
	TSAN_OPTIONS="halt_on_error=1 suppressions=$(abspath tests/tsan_suppressions.txt)" ctest --test-dir $(BUILD_TSAN) --output-on-failure -j $(JOBS) \
	  -R '$(TSAN_TESTS)'

# pytest keeps one core busy for about three minutes: the TSan build uses the other meanwhile
# (each one's output is printed whole when it ends).
test: format-check lint-python test-cpp test-asan
	$(MAKE) --no-print-directory -j2 --output-sync=target test-python test-tsan

clean:
	rm -rf build
