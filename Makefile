# Countersign: one-command set-up, tests, demo, benchmarks and fuzzing.
# Every target installs missing Debian packages first (scripts/setup.sh).

SWIFT ?= swift
RELEASE_BIN := .build/release
FUZZ_BUILD := .build-fuzz/release
FUZZ_SECONDS ?= 60
BENCH_EVENTS ?= 1000000
# Generated code (Sources/OTLPProto) is kept as protoc-gen-swift wrote it.
FORMAT_PATHS := Package.swift $(filter-out Sources/OTLPProto,$(wildcard Sources/*)) Tests Fuzz Plugins
# The fuzz target links the instrumented objects of exactly today's sources
# (a glob would also pick up objects of renamed or deleted files).
FUZZ_OBJECTS := $(foreach m,AuditEvent AuditDecoder,$(patsubst Sources/$(m)/%.swift,$(FUZZ_BUILD)/$(m).build/%.swift.o,$(wildcard Sources/$(m)/*.swift))) \
	$(FUZZ_BUILD)/CSimdjson.build/csimdjson.cpp.o

.PHONY: protos all setup build release test test-only test-deploy deb lint format demo bench bench-e2e bench-replay bench-ledger-storage bench-scale-out eval soak chaos fuzz clean

all: build

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

# Lint, then the whole suite against real servers started by the harness.
test: setup lint
	$(SWIFT) build --build-tests
	scripts/harness.sh -- $(SWIFT) test --skip-build
	scripts/test-deploy.sh .build/debug/countersign

# The systemd unit, the Debian package (built, installed and purged: needs
# root), the container file and the Kubernetes manifests (docs/deploy.md).
test-deploy: build
	scripts/test-deploy.sh .build/debug/countersign

# countersign_<version>_<arch>.deb in .build from the release binary.
deb: release
	scripts/deb.sh $(RELEASE_BIN)/countersign

lint:
	$(SWIFT) format lint --strict --recursive $(FORMAT_PATHS)

format:
	$(SWIFT) format --in-place --recursive $(FORMAT_PATHS)

demo: release
	@COUNTERSIGN_BIN=$(RELEASE_BIN)/countersign scripts/harness.sh -- scripts/demo.sh $(RELEASE_BIN)/countersign

bench: setup
	$(SWIFT) build -c release
	$(RELEASE_BIN)/CountersignBench decode --events $(BENCH_EVENTS)
	$(RELEASE_BIN)/CountersignBench decode-otlp --events 200000
	$(RELEASE_BIN)/CountersignBench consume --events $(BENCH_EVENTS)
	$(RELEASE_BIN)/CountersignBench stall --events 500000
	$(RELEASE_BIN)/CountersignBench detect --events $(BENCH_EVENTS)
	COUNTERSIGN_BIN=$(RELEASE_BIN)/countersign scripts/harness.sh -- $(RELEASE_BIN)/CountersignBench state
	$(RELEASE_BIN)/CountersignBench siem --events $(BENCH_EVENTS)
	$(RELEASE_BIN)/CountersignBench ledger --events $(BENCH_EVENTS)
	$(RELEASE_BIN)/CountersignBench metrics --events 500000
	COUNTERSIGN_BIN=$(RELEASE_BIN)/countersign scripts/harness.sh -- \
		$(RELEASE_BIN)/CountersignBench postgres --events $(BENCH_EVENTS)
	COUNTERSIGN_BIN=$(RELEASE_BIN)/countersign scripts/harness.sh -- scripts/bench-e2e.sh
	COUNTERSIGN_BIN=$(RELEASE_BIN)/countersign scripts/bench-replay.sh

# `replay` from Kafka and from the ledger against `run` on the same 1,000,000 events.
bench-replay: setup
	$(SWIFT) build -c release
	COUNTERSIGN_BIN=$(RELEASE_BIN)/countersign scripts/bench-replay.sh

# End to end only: `run` (PostgreSQL + ledger + SIEM + metrics + detection)
# against the Python peer and psql \copy on one 900,000-event, 128-partition
# topic, the worker with a null sink against kcat, and alert latency at a
# paced 10,000 events/s (scripts/bench-e2e.sh says how; BENCHMARKS.md has results).
bench-e2e: setup
	$(SWIFT) build -c release
	COUNTERSIGN_BIN=$(RELEASE_BIN)/countersign scripts/harness.sh -- scripts/bench-e2e.sh

# The long runs of the test suite: a million events through `run` into
# PostgreSQL (make test runs 100,000), the ledger's crash test at a million
# entries, the ledger scale-out on radosgw at 300,000 events over 64
# partitions (make test runs 30,000 over 16), and the detection scale-out at
# 500,000 events over 128 partitions (make test runs 40,000 over 16), with
# the release binary.
soak: setup
	$(SWIFT) build -c release
	$(SWIFT) build --build-tests
	COUNTERSIGN_PG_EVENTS=1000000 COUNTERSIGN_BIN=$(RELEASE_BIN)/countersign \
		scripts/harness.sh -- $(SWIFT) test --skip-build --filter PostgresRunTests/everyEventOnce
	COUNTERSIGN_CRASH_ENTRIES=1000000 COUNTERSIGN_CRASH_KILLS=20 COUNTERSIGN_BIN=$(RELEASE_BIN)/countersign \
		$(SWIFT) test --skip-build --filter LedgerCrashTests
	COUNTERSIGN_SCALE_OUT_EVENTS=300000 COUNTERSIGN_BIN=$(RELEASE_BIN)/countersign \
		scripts/harness.sh -- $(SWIFT) test --skip-build --filter LedgerScaleOutTests
	COUNTERSIGN_DETECTION_SCALE_EVENTS=500000 COUNTERSIGN_BIN=$(RELEASE_BIN)/countersign \
		scripts/harness.sh -- $(SWIFT) test --skip-build --filter DetectionScaleOutTests

# One, two and three workers of one group (PostgreSQL + detection with its
# state in PostgreSQL) on one 300,000-event topic, and detection state at
# 1,000,000 member x tool keys: snapshot size, save and load times.
bench-scale-out: setup
	$(SWIFT) build -c release
	COUNTERSIGN_BIN=$(RELEASE_BIN)/countersign scripts/harness.sh -- $(RELEASE_BIN)/CountersignBench state
	COUNTERSIGN_BIN=$(RELEASE_BIN)/countersign scripts/harness.sh -- scripts/bench-scale-out.sh

# Ledger appends into a local directory against a WORM bucket on radosgw.
bench-ledger-storage: setup
	$(SWIFT) build -c release
	COUNTERSIGN_BIN=$(RELEASE_BIN)/countersign scripts/bench-ledger-storage.sh

# The hostile-input and fault suite at full size (make test runs it small):
# 100,000 events with the hostile corpus, 10 SIGKILLs at random moments after
# consumption began, failing sinks at shutdown, and the PostgreSQL and rsyslog
# outage tests, with the release binary. Results go in RELIABILITY.md.
# The kill loop produces at 500 events/s while it kills: what waits during a
# successor's group join (about 20 s) must fit the dev-broker's ~5 MB per partition.
CHAOS_EVENTS ?= 100000
CHAOS_KILLS ?= 10
CHAOS_KILL_EVENTS ?= 120000
CHAOS_KILL_RATE ?= 500
chaos: setup
	$(SWIFT) build -c release
	$(SWIFT) build --build-tests
	COUNTERSIGN_CHAOS_EVENTS=$(CHAOS_EVENTS) COUNTERSIGN_CHAOS_KILLS=$(CHAOS_KILLS) \
		COUNTERSIGN_CHAOS_KILL_EVENTS=$(CHAOS_KILL_EVENTS) COUNTERSIGN_CHAOS_KILL_RATE=$(CHAOS_KILL_RATE) \
		COUNTERSIGN_BIN=$(RELEASE_BIN)/countersign scripts/harness.sh -- $(SWIFT) test --skip-build \
		--filter "ChaosTests|HostileFieldTests|MalformedInputTests|SpecialOutputTests|PostgresRunTests/outage|RsyslogTests/outage"

# Detection quality: generated scenarios (4 seeds x 300,000 background events,
# 14 planted incidents each) through `countersign detect`, scored against the
# ground-truth labels. Results go in EVALUATION.md.
# Detection quality: three traffic models written apart from the detectors
# and from our generator (scripts/eval/models/; the figure that counts is
# the worst model), then our own generator's scenarios. EVAL_SEEDS picks
# the models' seeds, EVAL_SCALE their size. Results in EVALUATION.md.
EVAL_SEEDS ?= 1
eval: setup
	$(SWIFT) build -c release
	scripts/eval/run.sh $(RELEASE_BIN)/countersign $(EVAL_SEEDS)
	COUNTERSIGN_BIN=$(RELEASE_BIN)/countersign $(RELEASE_BIN)/CountersignBench eval

# libFuzzer over the decoder. SwiftPM cannot link a -sanitize=fuzzer
# executable, so the library is built instrumented and the entry point is
# linked against its objects with swiftc.
fuzz: setup
	$(SWIFT) build -c release --scratch-path .build-fuzz --target AuditDecoder \
		-Xswiftc -sanitize=fuzzer,address \
		-Xcc -fsanitize=fuzzer-no-link,address -Xcxx -fsanitize=fuzzer-no-link,address
	@# gold warns about every ASan helper symbol; keep the log, show it only on failure.
	swiftc -O -sanitize=fuzzer,address -parse-as-library Fuzz/DecoderFuzz.swift \
		-I $(FUZZ_BUILD)/Modules -Xcc -fmodule-map-file=$(FUZZ_BUILD)/CSimdjson.build/module.modulemap \
		$(FUZZ_OBJECTS) -lsimdjson -lstdc++ -o $(FUZZ_BUILD)/decoder-fuzz 2>$(FUZZ_BUILD)/link.log \
		|| { grep -v "ld.gold: warning" $(FUZZ_BUILD)/link.log; exit 1; }
	mkdir -p .build-fuzz/corpus .build-fuzz/findings
	cp Tests/AuditDecoderTests/Fixtures/valid/*.json .build-fuzz/corpus/
	SWIFT_BACKTRACE=enable=no $(FUZZ_BUILD)/decoder-fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
		-print_final_stats=1 -artifact_prefix=.build-fuzz/findings/ .build-fuzz/corpus

# Regenerates Sources/OTLPProto from the .proto files in Protos/ (protoc from Debian's
# protobuf-compiler, protoc-gen-swift built from the swift-protobuf version Package.swift names).
# Slow (the plugin builds for minutes), so the generated code is committed.
protos:
	@command -v protoc >/dev/null || apt-get install -y -q protobuf-compiler
	$(SWIFT) build -c release --package-path .build/checkouts/swift-protobuf --product protoc-gen-swift
	protoc --plugin=protoc-gen-swift=.build/checkouts/swift-protobuf/.build/release/protoc-gen-swift \
		--swift_out=Sources/OTLPProto --swift_opt=Visibility=Public --swift_opt=FileNaming=PathToUnderscores \
		-I Protos $$(cd Protos && find . -name '*.proto' | sed 's|^\./||' | sort)

clean:
	rm -rf .build .build-fuzz
