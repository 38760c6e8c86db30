// Package exporter exports estally's fold to Prometheus and serves it over
// HTTP.
//
// # Collector
//
// [NewCollector] returns one checked prometheus.Collector. At scrape time
// it reads one aggregate.Snapshot (through [Snapshotter]) and the loss ledger
// of every source (through [StatsSnapshotter], which *es.Stats implements),
// and builds const metrics from them; no client_golang call is made per
// event. Its metrics:
//
//	estally_events_total{source,kind}                 counter  events folded (all six kinds, always)
//	estally_events_dropped_total{source,stage}        counter  events lost before the fold
//	estally_source_errors_total{source,reason}        counter  input a source could not use
//	estally_source_overflows_total{source}            counter  queue-overflow episodes
//	estally_events_muted_total{source}                counter  the agent's own events, muted
//	estally_source_up{source}                         gauge
//	estally_table_entries{table}                      gauge    table = process | path
//	estally_table_capacity{table}                     gauge
//	estally_table_evictions_total{table}              counter
//	estally_table_rejected_events_total{table}        counter  events of keys not admitted
//	estally_table_resident_events{table,kind}         gauge    } resident + other =
//	estally_table_other_events_total{table,kind}      counter  } sum by kind of events_total
//	estally_process_events_total{process,kind}        counter  top-K processes, nonzero kinds
//	estally_path_events_total{path,kind}              counter  top-K paths, nonzero kinds
//	estally_export_topk_series_omitted                gauge    top-K series cut by the budget
//	estally_label_values_sanitized_total{reason}      counter  label values altered
//	estally_build_info{version,revision,goversion}    gauge 1
//
// With several sources, the source label of estally_events_total is their
// names joined by "+": the fold does not record an event's source. Events
// the fold rejected for an out-of-range kind (aggregate.Snapshot.Invalid)
// are exported as estally_events_dropped_total{stage="invalid_kind"} under
// that same source label, so every loss has a counter.
//
// # Top-K and the series budget
//
// The first TopK entries of each table's Top list (ranked by recent
// activity) become series, one per nonzero kind. All top-K series of a
// scrape share one budget (SeriesBudget), spent by interleaving the tables by
// rank (process #1, path #1, process #2, ...). An entry is exported whole or
// not at all; one that does not fit in what is left is skipped and later,
// smaller ones may still fit. The number of series skipped is the gauge
// estally_export_topk_series_omitted; their events remain in the totals.
//
// # Labels
//
// Paths and executable paths may hold any bytes. [SanitizeLabel] makes them
// valid UTF-8, escapes control characters and caps their length (keeping
// head and tail around "…"). Every value altered is counted in
// estally_label_values_sanitized_total by reason, once per scrape. Two top
// entries of one table whose sanitised keys are equal are merged into one
// series (their counts summed, reason "collision"), so a hostile file name
// can never produce duplicate series and fail a scrape. Metrics are built
// with prometheus.NewConstMetric; any error becomes a
// prometheus.NewInvalidMetric, reported by the handler while the rest of the
// scrape is still served.
//
// # Registry and server
//
// [NewRegistry] returns a registry with the Go and process collectors and
// the given collectors. [NewServer] builds the HTTP side on
// github.com/prometheus/exporter-toolkit/web: the registry on the telemetry
// path (promhttp with ContinueOnError, a rate-limited slog error log,
// MaxRequestsInFlight and a timeout), a landing page on "/" when the
// telemetry path is not "/", and any handler mounted with [Server.Handle],
// all behind the TLS and basic-auth settings of the web configuration file.
// [Server.Serve] takes listeners the caller opened (see [Listen]; tests use
// 127.0.0.1:0) and shuts down gracefully when its context is done.
//
// Typical wiring:
//
//	c, err := exporter.NewCollector(exporter.CollectorConfig{
//		Aggregate: agg, Sources: []exporter.StatsSnapshotter{src.Stats()},
//		TopK: exporter.DefaultTopK, SeriesBudget: exporter.DefaultSeriesBudget,
//		Version: version, Revision: revision,
//	})
//	reg, err := exporter.NewRegistry(c)
//	srv, err := exporter.NewServer(exporter.ServerConfig{
//		Registry: reg, TelemetryPath: "/metrics", WebConfigFile: webConfig, Logger: logger,
//	})
//	err = srv.Handle("GET /api/v1/summary", summaryHandler)
//	ls, err := exporter.Listen([]string{":9464"})
//	err = srv.Serve(ctx, ls) // returns nil once ctx is done and shutdown is over
//
// # Concurrency
//
// Collector.Collect may run concurrently (concurrent scrapes); it holds no
// lock and keeps only atomic counters. SanitizeLabel is a pure function.
// Server.Handle may be called before or during Serve; Serve runs once and
// Shutdown may be called from any goroutine.
package exporter
