# Top-level convenience wrapper around CMake.
#   make          build build/bin/umikamed, build/bin/umk and the library
#   make check    install test dependencies (apt-get) and run the whole suite
#   make demo     install dependencies and run the demo lab (needs root)
BUILD ?= build
JOBS  ?= $(shell nproc 2>/dev/null || echo 2)

all: $(BUILD)/Makefile
	@$(MAKE) --no-print-directory -C $(BUILD) -j$(JOBS)

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

unit: all
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

check:
	./scripts/test.sh

demo:
	./scripts/demo.sh

clean:
	rm -rf $(BUILD) build-asan build-fuzz

.PHONY: all unit check demo clean
