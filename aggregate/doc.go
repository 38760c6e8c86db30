// Package aggregate folds file events into bounded per-process and per-path
// tables and hands out cheap, consistent snapshots of them.
//
// Each table holds at most its capacity of entries in a golang-lru simplelru
// (recency order and eviction) with a side index for the hot path. Counts of
// keys that are evicted or never admitted move into the table's Other, so
// for every table and kind Resident + Other equals Observed, exactly. A full
// table admits a new key only on its second sighting (a Bloom-filter
// doorkeeper), so a scan of never-repeated paths cannot flush it, and the
// top-K entries by recent activity are never evicted.
//
// # Concurrency
//
// [Aggregator] is a thin locked façade over two single-goroutine tables:
// one goroutine at a time (the source's) calls Observe, or brackets bursts of
// Observe calls with BeginBatch and EndBatch to lock once per burst; any
// goroutine may call Snapshot and Tick. Snapshot holds the lock only to copy
// counters and the top-K entries, ~0.1 µs whatever the table size. The
// OnEvict hook runs with the lock released.
package aggregate
