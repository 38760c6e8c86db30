// Package aggregate folds file events into bounded per-process and per-path
// tables and hands out cheap, consistent snapshots of them.
//
// # Concurrency
//
// [Aggregator] is a thin locked façade over two single-goroutine tables:
// one goroutine (the source's) calls Observe; any goroutine may call
// Snapshot and Tick. Snapshot copies only counters and the top entries, so
// it holds the lock for microseconds whatever the table size. Eviction hooks
// run after the lock is released.
package aggregate
