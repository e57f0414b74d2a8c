# Thin wrapper over CMake so that a fresh Debian machine needs two commands:
#   make demo   install what is missing, build (Release), run the example scenario
#   make test   install what is missing, build, run the suite, then again under ASan+UBSan,
#               then (when mpicc is there) the MPI tests of a -DFLEETSIM_MPI=ON build
#   make fuzz   fuzz the scenario loader for FUZZ_SECONDS (clang, libFuzzer; docs/FUZZ.md)
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
BUILD   ?= build
ASAN    ?= build-asan
MPIBUILD ?= build-mpi
SCENARIO ?= scenarios/example.cfg
FUZZ_SECONDS ?= 60

.PHONY: all deps build demo test test-release test-asan bench fuzz clean

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@mkdir -p output
	./$(BUILD)/fleetsim run $(SCENARIO) --db output/fleetsim.db

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DFLEETSIM_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN) -j $(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS)
	@if command -v mpicc >/dev/null 2>&1; then \
		cmake -S . -B $(MPIBUILD) -DCMAKE_BUILD_TYPE=Release -DFLEETSIM_MPI=ON -DFLEETSIM_BENCH=OFF >/dev/null && \
		cmake --build $(MPIBUILD) -j $(JOBS) && \
		cd $(MPIBUILD) && OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
			ctest --output-on-failure -L mpi; \
	else echo "mpicc not found: MPI tests skipped (scripts/install-deps.sh installs Open MPI)"; fi

bench: build
	@for b in $(BUILD)/bench_*; do [ -x "$$b" ] && "$$b"; done

fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) ./fuzz/run.sh

clean:
	rm -rf $(BUILD) $(ASAN) $(MPIBUILD) build-fuzz
