# `make test` installs what the tests need when it is missing, then runs every
# check CI runs. Under CI=true a missing dependency fails instead of skipping.

GO ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: test deps vet staticcheck gotest fuzzshort bench fuzz demo

test: deps vet staticcheck gotest fuzzshort

deps:
	bash scripts/deps.sh

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) run $(STATICCHECK) ./...

gotest:
	$(GO) test -race -count=1 -timeout 30m ./...

# A bounded run of the spec fuzzer: whatever loads must generate rules.
fuzzshort:
	$(GO) test ./spec -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime 20s

# Benchmarks recorded in BENCHMARKS.md.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./... | tee bench.txt

demo:
	$(GO) run ./cmd/slo demo
