package exporter

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/estally/estally/aggregate"
	"github.com/estally/estally/es"
)

// Defaults for [CollectorConfig].
const (
	DefaultTopK         = 10
	DefaultSeriesBudget = 200
)

// Snapshotter is what the collector needs from the fold: a consistent copy
// of its state. *aggregate.Aggregator implements it.
type Snapshotter interface {
	Snapshot() aggregate.Snapshot
}

// StatsSnapshotter is what the collector needs from a source's loss ledger.
// *es.Stats implements it.
type StatsSnapshotter interface {
	Snapshot() es.StatsSnapshot
}

// CollectorConfig configures a [Collector]. TopK and SeriesBudget are taken
// literally (0 exports no top-K series); the agent's flags carry the
// defaults [DefaultTopK] and [DefaultSeriesBudget].
type CollectorConfig struct {
	// Aggregate is read once per scrape. Required.
	Aggregate Snapshotter
	// Sources are the loss ledgers of the sources feeding Aggregate, read
	// once per scrape. At least one is required; their names (the Source of
	// their snapshots) must be distinct. The source label of
	// estally_events_total is the source's name, or with several sources
	// their names joined by "+" (the fold does not record which source an
	// event came from).
	Sources []StatsSnapshotter
	// TopK is how many entries of each table's Top list are exported as
	// estally_process_events_total / estally_path_events_total.
	TopK int
	// SeriesBudget caps the number of top-K series of one scrape, both
	// tables together.
	SeriesBudget int
	// LabelLimit caps label values built from input, in bytes; 0 means
	// [DefaultLabelLimit]. Values below [MinLabelLimit] are an error.
	LabelLimit int
	// Version and Revision label estally_build_info.
	Version, Revision string
}

// Collector is a prometheus.Collector that exports the fold's snapshot and
// the sources' loss ledgers as const metrics built at scrape time. It is
// checked: Describe sends a fixed set of descriptors.
//
// Collect is safe for concurrent use. It never blocks on the event pipeline:
// it reads one aggregate snapshot and one stats snapshot per source.
type Collector struct {
	agg        Snapshotter
	sources    []StatsSnapshotter
	foldSource string
	topK       int
	budget     int
	labelLimit int
	buildInfo  prometheus.Metric
	sanitized  [numReasons]atomic.Uint64
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns a collector for cfg, or an error if cfg is invalid.
func NewCollector(cfg CollectorConfig) (*Collector, error) {
	if cfg.Aggregate == nil {
		return nil, errors.New("exporter: collector: no aggregate")
	}
	if len(cfg.Sources) == 0 {
		return nil, errors.New("exporter: collector: no sources")
	}
	if cfg.TopK < 0 {
		return nil, fmt.Errorf("exporter: collector: top-K %d is negative", cfg.TopK)
	}
	if cfg.SeriesBudget < 0 {
		return nil, fmt.Errorf("exporter: collector: series budget %d is negative", cfg.SeriesBudget)
	}
	if cfg.LabelLimit == 0 {
		cfg.LabelLimit = DefaultLabelLimit
	}
	if cfg.LabelLimit < MinLabelLimit {
		return nil, fmt.Errorf("exporter: collector: label limit %d is below the minimum %d", cfg.LabelLimit, MinLabelLimit)
	}
	c := &Collector{
		agg:        cfg.Aggregate,
		sources:    append([]StatsSnapshotter(nil), cfg.Sources...),
		topK:       cfg.TopK,
		budget:     cfg.SeriesBudget,
		labelLimit: cfg.LabelLimit,
	}
	names := make([]string, 0, len(cfg.Sources))
	seen := make(map[string]bool, len(cfg.Sources))
	for i, s := range cfg.Sources {
		if s == nil {
			return nil, fmt.Errorf("exporter: collector: source %d is nil", i)
		}
		name, _ := SanitizeLabel(s.Snapshot().Source, c.labelLimit)
		if seen[name] {
			return nil, fmt.Errorf("exporter: collector: duplicate source name %q", name)
		}
		seen[name] = true
		names = append(names, name)
	}
	c.foldSource, _ = SanitizeLabel(strings.Join(names, "+"), c.labelLimit)

	version, _ := SanitizeLabel(cfg.Version, c.labelLimit)
	revision, _ := SanitizeLabel(cfg.Revision, c.labelLimit)
	bi, err := prometheus.NewConstMetric(buildInfoDesc, prometheus.GaugeValue, 1, version, revision, runtime.Version())
	if err != nil {
		return nil, fmt.Errorf("exporter: collector: build info: %w", err)
	}
	c.buildInfo = bi
	return c, nil
}

// Describe sends the descriptors of every metric the collector can export.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// Collect reads the snapshots and sends the metrics built from them.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	snap := c.agg.Snapshot()
	for k := range es.NumKinds {
		emit(ch, eventsDesc, prometheus.CounterValue, float64(snap.Observed[k]), c.foldSource, es.Kind(k).String())
	}
	invalidSent := false
	for _, src := range c.sources {
		invalidSent = c.collectSource(ch, src.Snapshot(), snap.Invalid) || invalidSent
	}
	if !invalidSent { // several sources: the fold's losses are the fold's
		emit(ch, droppedDesc, prometheus.CounterValue, float64(snap.Invalid), c.foldSource, stageInvalidKind)
	}
	c.collectTable(ch, "process", &snap.Processes)
	c.collectTable(ch, "path", &snap.Paths)

	var why [numReasons]uint64
	omitted := c.collectTopK(ch, &snap, &why)
	emit(ch, topkOmittedDesc, prometheus.GaugeValue, float64(omitted))

	for i := range numReasons {
		n := c.sanitized[i].Add(why[i])
		emit(ch, sanitizedDesc, prometheus.CounterValue, float64(n), reasonNames[i])
	}
	ch <- c.buildInfo
}

// stageInvalidKind is the estally_events_dropped_total stage of events the
// fold rejected because their kind was out of range (a source bug).
const stageInvalidKind = "invalid_kind"

// collectSource sends one source's loss ledger. When the source is the only
// one feeding the fold (its name is the fold's source label), the fold's
// invalid-kind drops are sent as its stage "invalid_kind", merged with a
// stage of that name in the ledger; collectSource then reports true.
func (c *Collector) collectSource(ch chan<- prometheus.Metric, s es.StatsSnapshot, invalid uint64) bool {
	// Source names, stages and reasons are chosen in code, never taken from
	// input; sanitising them is a cheap guard against a programming error
	// failing the scrape, so it is not counted as a label loss.
	name, _ := SanitizeLabel(s.Source, c.labelLimit)
	mine := name == c.foldSource
	merged := false
	for _, d := range s.Dropped {
		stage, _ := SanitizeLabel(d.Label, c.labelLimit)
		n := d.Count
		if mine && stage == stageInvalidKind {
			n += invalid
			merged = true
		}
		emit(ch, droppedDesc, prometheus.CounterValue, float64(n), name, stage)
	}
	if mine && !merged {
		emit(ch, droppedDesc, prometheus.CounterValue, float64(invalid), name, stageInvalidKind)
	}
	for _, e := range s.Errors {
		reason, _ := SanitizeLabel(e.Label, c.labelLimit)
		emit(ch, sourceErrorsDesc, prometheus.CounterValue, float64(e.Count), name, reason)
	}
	emit(ch, overflowsDesc, prometheus.CounterValue, float64(s.Overflows), name)
	emit(ch, mutedDesc, prometheus.CounterValue, float64(s.Muted), name)
	up := 0.0
	if s.Up {
		up = 1
	}
	emit(ch, sourceUpDesc, prometheus.GaugeValue, up, name)
	return mine
}

// collectTable sends one table's accounting. The table label is fixed by
// position (process or path), not taken from the snapshot.
func (c *Collector) collectTable(ch chan<- prometheus.Metric, table string, t *aggregate.TableSnapshot) {
	emit(ch, tableEntriesDesc, prometheus.GaugeValue, float64(t.Entries), table)
	emit(ch, tableCapacityDesc, prometheus.GaugeValue, float64(t.Capacity), table)
	emit(ch, tableEvictionsDesc, prometheus.CounterValue, float64(t.Evictions), table)
	emit(ch, tableRejectedDesc, prometheus.CounterValue, float64(t.Rejected), table)
	for k := range es.NumKinds {
		kind := es.Kind(k).String()
		emit(ch, tableResidentDesc, prometheus.GaugeValue, float64(t.Resident[k]), table, kind)
		emit(ch, tableOtherDesc, prometheus.CounterValue, float64(t.Other[k]), table, kind)
	}
}

// emit sends a const metric, or an invalid metric carrying the error.
func emit(ch chan<- prometheus.Metric, d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
	m, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		m = prometheus.NewInvalidMetric(d, err)
	}
	ch <- m
}
