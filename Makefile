# Makefile - builds libfeast (static + shared), the feast binary, the unit
# tests and the fuzz targets. Sources are discovered, so a new module needs
# no edit here. `make SAN=1 ...` builds everything with ASan + UBSan into
# build-san/, `make SAN=thread ...` with ThreadSanitizer into build-tsan/.
#
#   make            library + binary          make test      every test
#   make demo       the main job, embedded     make test-san  unit tests under ASan/UBSan
#   make deps       install dependencies       make fuzz      build fuzz targets (clang)

CC ?= cc
SAN ?= 0
ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT ?= -O1 -g
else ifeq ($(SAN),thread)
BUILD ?= build-tsan
SANFLAGS = -fsanitize=thread -fno-omit-frame-pointer
OPT ?= -O1 -g
else
BUILD ?= build
SANFLAGS =
OPT ?= -O2 -g
endif

PKGS = libzstd liblz4 zlib libbrotlidec libbrotlienc yaml-0.1 sqlite3 libpq lmdb hiredis avro-c libprotobuf-c rdkafka libcurl openssl grpc gpr
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lsnappy

WARN = -Wall -Wextra -Werror -Wshadow -Wvla -Wno-missing-field-initializers
CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -fPIC -fvisibility=hidden \
         $(OPT) $(WARN) $(SANFLAGS) -Iinclude -Isrc $(CFLAGS_LLHTTP) $(PKG_CFLAGS) -MMD -MP $(EXTRA_CFLAGS)
LDLIBS = $(PKG_LIBS) -lpthread -lm
LDFLAGS = $(SANFLAGS)

LIB_SRCS := $(shell find src -name '*.c' ! -path 'src/cli/*' | sort)
# feast serve's HTTP/1.1 parser, compiled from the C sources Debian's
# node-llhttp installs (not copied into the repository; warnings are theirs).
LLHTTP_DIR ?= /usr/share/llhttp
LLHTTP_OBJS := $(patsubst $(LLHTTP_DIR)/%.c,$(BUILD)/obj/llhttp/%.o,$(wildcard $(LLHTTP_DIR)/*.c))
CFLAGS_LLHTTP = -I/usr/share/include/llhttp
CLI_SRCS := $(sort $(wildcard src/cli/*.c))
TEST_SRCS := $(sort $(wildcard tests/unit/*_test.c))
TEST_SUPPORT := $(filter-out $(TEST_SRCS),$(wildcard tests/unit/*.c))
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(wildcard tests/tools/*.c))

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o) $(LLHTTP_OBJS)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TEST_SUPPORT_OBJS := $(TEST_SUPPORT:%.c=$(BUILD)/obj/%.o)

.PHONY: all lib bin tests tools test test-unit test-san test-tsan test-py demo deps fuzz fuzz-smoke bench format clean wheel sdk-protos
all: lib bin

lib: $(BUILD)/libfeast.a $(BUILD)/libfeast.so
bin: $(BUILD)/feast $(BUILD)/feast-shared
tests: $(TEST_BINS) $(TOOL_BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/llhttp/%.o: $(LLHTTP_DIR)/%.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) -std=c11 $(OPT) $(SANFLAGS) -fPIC -fvisibility=hidden -w $(CFLAGS_LLHTTP) $(EXTRA_CFLAGS) -c $< -o $@

$(BUILD)/libfeast.a: $(LIB_OBJS)
	@echo "  AR $@"
	@rm -f $@
	@ar rcs $@ $^

$(BUILD)/libfeast.so: $(LIB_OBJS)
	@echo "  LD $@"
	@$(CC) -shared $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/feast: $(CLI_OBJS) $(BUILD)/libfeast.a
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/libfeast.a $(LDLIBS)

# The same CLI linked against libfeast.so: it links only if the CLI uses
# nothing but the exported (FEAST_API) interface.
$(BUILD)/feast-shared: $(CLI_OBJS) $(BUILD)/libfeast.so
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) -L$(BUILD) -lfeast -Wl,-rpath,'$$ORIGIN' $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TEST_SUPPORT_OBJS) $(BUILD)/libfeast.a
	@mkdir -p $(dir $@)
	@$(CC) $(LDFLAGS) -o $@ $< $(TEST_SUPPORT_OBJS) $(BUILD)/libfeast.a $(LDLIBS)

# Test-only drivers that tests/py runs (tests/tools/*.c, one binary each).
tools: $(TOOL_BINS)
$(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(BUILD)/libfeast.a
	@mkdir -p $(dir $@)
	@$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libfeast.a $(LDLIBS)

# The Avro decoding benchmark (bench/stream/README.md).
$(BUILD)/bench/avro_decode_bench: $(BUILD)/obj/bench/stream/avro_decode_bench.o $(BUILD)/libfeast.a
	@mkdir -p $(dir $@)
	@$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libfeast.a $(LDLIBS)

deps:
	@bash scripts/install-deps.sh

# The README's test command: unit tests, then the sanitizer build of them,
# then the integration suite (real servers started by scripts/).
test: deps
	@$(MAKE) --no-print-directory all tests
	@bash scripts/run-unit-tests.sh $(BUILD)/tests
	@$(MAKE) --no-print-directory test-san
	@$(MAKE) --no-print-directory test-tsan
	@$(MAKE) --no-print-directory test-py

test-unit: all tests
	@bash scripts/run-unit-tests.sh $(BUILD)/tests

# The unit tests and the CLI suites under ASan + UBSan (leaks included).
test-san:
	@$(MAKE) --no-print-directory SAN=1 tests bin
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  bash scripts/run-unit-tests.sh build-san/tests
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 FEAST_BIN=$(CURDIR)/build-san/feast \
	  bash scripts/run-py-tests.sh tests/py/test_cli_registry.py tests/py/test_cli_data.py

# The unit tests under ThreadSanitizer, with a Redis server for the
# threaded store test; any report fails the run.
test-tsan:
	@$(MAKE) --no-print-directory SAN=thread tests
	@port=$$(bash scripts/start-redis.sh) && \
	  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" FEAST_TEST_REDIS=127.0.0.1:$$port \
	  bash scripts/run-unit-tests.sh build-tsan/tests; rc=$$?; bash scripts/stop-redis.sh $$port; exit $$rc

test-py: all tools
	@FEAST_BIN=$(CURDIR)/$(BUILD)/feast FEAST_LIB=$(CURDIR)/$(BUILD)/libfeast.so \
	  bash scripts/run-py-tests.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@bash scripts/demo.sh $(BUILD)/feast

FUZZ_SRCS := $(sort $(wildcard fuzz/*_fuzz.c))
fuzz:
	@$(MAKE) --no-print-directory CC=clang BUILD=build-fuzz EXTRA_CFLAGS="-fsanitize=fuzzer-no-link,address,undefined" \
	  LDFLAGS="-fsanitize=address,undefined" lib
	@mkdir -p build-fuzz/fuzz
	@for f in $(FUZZ_SRCS); do n=$$(basename $$f .c); \
	  clang -std=c11 -D_DEFAULT_SOURCE -g -O1 -Iinclude -Isrc -fsanitize=fuzzer,address,undefined \
	    $$f build-fuzz/libfeast.a $(LDLIBS) -o build-fuzz/fuzz/$$n || exit 1; done

fuzz-smoke: fuzz
	@bash scripts/fuzz-smoke.sh build-fuzz/fuzz

bench: all
	@bash bench/run.sh

# The Python SDK as a wheel that bundles libfeast.so (build/wheel/feast_c-*.whl).
wheel: lib
	@rm -rf build/wheel && mkdir -p build/wheel
	@FEAST_LIB=$(CURDIR)/$(BUILD)/libfeast.so python3 -m pip wheel -q --no-deps --no-build-isolation \
	  -w build/wheel sdk/python && ls build/wheel/*.whl

# The SDK's descriptor set of protos/ (checked against protoc by tests/py/test_sdk_package.py).
SDK_PROTOS := feast/types/Value.proto feast/types/Field.proto feast/storage/Redis.proto feast/core/DataFormat.proto \
  feast/core/DataSource.proto feast/core/Entity.proto feast/core/Feature.proto feast/core/FeatureTable.proto \
  feast/core/Store.proto feast/core/CoreService.proto feast/core/JobService.proto feast/serving/ServingService.proto
sdk-protos:
	protoc -Iprotos -I/usr/include --descriptor_set_out=sdk/python/feast/_protos.desc $(addprefix protos/,$(SDK_PROTOS))

format:
	clang-format -i $$(find src include tests/unit fuzz -name '*.[ch]')

clean:
	rm -rf build build-san build-tsan build-fuzz

.SECONDARY:

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
