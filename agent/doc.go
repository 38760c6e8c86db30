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
// # Sources
//
// A source is offered by a sourceFactory (source.go): its name (the
// --source value and its flag prefix), its flags, open, and a probe for
// --source=auto. Factories are listed in sources.go (every platform) and
// sources_<os>.go; auto takes the first one whose probe succeeds, platform
// sources first, and falls back to synthetic only where the build has no
// kernel source for the platform.
//
// # Exit codes
//
// 0 after SIGINT/SIGTERM (or --help); 1 when the daemon cannot start or a
// component fails (logged once); 2 for invalid flags or values (one line on
// stderr, nothing started).
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
