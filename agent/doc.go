// Package agent is the estally command: configuration, wiring, lifecycle,
// signals and self-muting. cmd/estally is a one-line wrapper around [Main].
//
// # Commands
//
//	estally run [flags]      run the daemon (the default when the first
//	                         argument is a flag, or when there is none)
//	estally top [flags]      a terminal view of a running daemon
//	estally summary [flags]  print one summary from a running daemon
//	estally version          print version, revision and Go version
//
// # Wiring
//
// `estally run` builds one [aggregate.Aggregator], one event source chosen
// by --source from the platform's source factories (see source.go and the
// sources*.go lists), the Prometheus collector and HTTP server of package
// exporter, and any extensions (see extension.go). Each long-running part is
// a component (component.go); run.go starts them together and stops them
// together.
//
// # Concurrency
//
// The source runs on its own goroutine and calls the aggregator's Observe
// synchronously for every event; nothing in this package sees individual
// events. A ticker goroutine advances the aggregator's clock every 100 ms.
// Scrapes and other consumers read snapshots from their own goroutines.
// When any component fails, or on SIGINT/SIGTERM, the shared context is
// cancelled and every component is given a bounded time to return.
package agent
