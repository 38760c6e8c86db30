package agent

import (
	"flag"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/estally/estally/aggregate"
	"github.com/estally/estally/es"
	"github.com/estally/estally/exporter"
)

// extension adds an optional part to `estally run`, such as the summary
// channel: flags of its own, and once the fold, the source and the HTTP
// server exist, metrics, HTTP handlers and components that run beside them.
// Extensions are listed in extensions(); like source factories they are
// built fresh for every parse, so flag values live in their closures.
type extension struct {
	name string
	// addFlags registers the extension's flags ("<name>.<flag>"); may be nil.
	addFlags func(fs *flag.FlagSet)
	// topK, if set, returns how many entries of each table the extension
	// shows; the fold ranks the largest of these and --export.top-k.
	topK func() int
	// start wires the extension in and returns the components it needs run
	// (possibly none). An error is fatal (exit code 1). start runs before
	// any component, so it must not block.
	start func(env extensionEnv) ([]component, error)
}

// extensionEnv is what an extension is started with.
type extensionEnv struct {
	logger *slog.Logger // already carries extension=<name>
	// agg is the fold: Snapshot() is cheap and safe from any goroutine.
	agg *aggregate.Aggregator
	// stats are the loss ledgers of the running sources.
	stats []*es.Stats
	// registry serves /metrics: register the extension's own metrics here.
	registry prometheus.Registerer
	// server is the HTTP server of /metrics: mount handlers with
	// server.Handle("GET /api/v1/summary", h); they get its TLS and auth.
	server *exporter.Server
}

// extensions lists the optional parts of `estally run`.
func extensions() []extension {
	return []extension{summaryExtension()}
}
