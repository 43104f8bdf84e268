# Quick start: `make demo` packs the bundled sample case; `make test` runs every test.
# Both install what they need when missing (Debian packages via apt-get, a .venv for Python).

PYTHON ?= python3
VENV := .venv
JOBS ?= 2
BUILD := build/release
BUILD_ASAN := build/asan
CMAKE_FLAGS := -G Ninja -DMEDMASK_WERROR=ON
SAMPLE := examples/data/s0000
# One clang-format version for everyone: formatting differs between releases.
CLANG_FORMAT ?= clang-format-14
CLI := $(BUILD)/cli/medmask

.PHONY: all deps venv build build-asan python demo test test-cpp test-asan test-python \
        test-consumer format format-check clean

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
	cmake -S . -B $(BUILD_ASAN) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DMEDMASK_SANITIZE=ON -DMEDMASK_BUILD_CLI=OFF
	cmake --build $(BUILD_ASAN) -j $(JOBS)

python: venv
	$(VENV)/bin/pip install -q --no-build-isolation .

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

format: deps
	$(CLANG_FORMAT) -i $$(git ls-files '*.cpp' '*.hpp')

format-check: deps
	$(CLANG_FORMAT) --dry-run --Werror $$(git ls-files '*.cpp' '*.hpp')

test: format-check test-cpp test-asan test-python

clean:
	rm -rf build
