# estally — `make run` to try it, `make test` for everything CI checks.

GO       ?= go
BIN      ?= bin/estally
PKG      := github.com/estally/estally
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -X $(PKG)/agent.version=$(VERSION) -X $(PKG)/agent.revision=$(REVISION)
# Extra arguments for `make run`, e.g. RUN_ARGS='--synthetic.profile=scan'.
RUN_ARGS ?=
# Time per fuzz target in `make fuzz`.
FUZZTIME ?= 10s
DARWIN_ARCHS := arm64 amd64

.PHONY: all build run test deps fmt-check vet unit darwin bench fuzz clean

all: build

## build: the estally binary, with version and revision stamped in
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/estally

## run: build, then run the daemon on its default source, serving /metrics
run: build
	./$(BIN) run $(RUN_ARGS)

## test: everything CI checks
test: deps fmt-check vet unit darwin

deps:
	@./scripts/deps.sh

fmt-check:
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 ./...

## darwin: cgo-free cross-build and vet for both Mac architectures
darwin:
	@set -e; for arch in $(DARWIN_ARCHS); do \
		echo "GOOS=darwin GOARCH=$$arch CGO_ENABLED=0 go build ./... && go vet ./..."; \
		GOOS=darwin GOARCH=$$arch CGO_ENABLED=0 $(GO) build ./...; \
		GOOS=darwin GOARCH=$$arch CGO_ENABLED=0 $(GO) vet ./...; \
	done

## bench: Go benchmarks, then every bench/*.sh script
bench: build
	$(GO) test -run='^$$' -bench=. -benchmem ./...
	@set -e; for s in bench/*.sh; do \
		[ -f "$$s" ] || continue; echo "== $$s"; bash "$$s"; \
	done

## fuzz: every fuzz target of every package, FUZZTIME each
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		list=$$($(GO) test -list '^Fuzz' $$pkg) || { echo "$$list"; exit 1; }; \
		for target in $$(echo "$$list" | grep '^Fuzz' || true); do \
			echo "== $$pkg $$target"; \
			$(GO) test -run='^$$' -fuzz="^$$target\$$" -fuzztime=$(FUZZTIME) $$pkg; \
		done; \
	done

clean:
	rm -rf bin
