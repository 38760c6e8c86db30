package exporter

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/estally/estally/aggregate"
	"github.com/estally/estally/es"
)

// fakeAgg is a Snapshotter returning a fixed snapshot.
type fakeAgg struct{ snap aggregate.Snapshot }

func (f *fakeAgg) Snapshot() aggregate.Snapshot { return f.snap }

// sampleSnapshot is a small, consistent snapshot: for both tables and every
// kind, Resident + Other = Observed.
func sampleSnapshot() aggregate.Snapshot {
	return aggregate.Snapshot{
		Observed: aggregate.Counts{100, 10, 5, 2, 1, 0},
		Processes: aggregate.TableSnapshot{
			Name: "process", Entries: 2, Capacity: 1000, Evictions: 3, Rejected: 4,
			Resident: aggregate.Counts{90, 10, 5, 2, 1, 0},
			Other:    aggregate.Counts{10, 0, 0, 0, 0, 0},
			Top: []aggregate.Entry{
				{Key: "/usr/bin/dd", Counts: aggregate.Counts{60, 5}},
				{Key: "/bin/cp", Counts: aggregate.Counts{30, 5, 5, 2, 1, 0}},
			},
		},
		Paths: aggregate.TableSnapshot{
			Name: "path", Entries: 3, Capacity: 5000, Rejected: 7,
			Resident: aggregate.Counts{93, 10, 5, 2, 1, 0},
			Other:    aggregate.Counts{7, 0, 0, 0, 0, 0},
			Top: []aggregate.Entry{
				{Key: "/var/log/app.log", Counts: aggregate.Counts{50}},
				{Key: "/tmp/x", Counts: aggregate.Counts{43, 10, 5, 2, 1, 0}},
			},
		},
	}
}

// sampleStats returns a ledger for source name with a few losses recorded.
func sampleStats(name string) *es.Stats {
	s := es.NewStats(name)
	s.SetUp(true)
	s.Dropped("kernel").Add(3)
	s.Errors("unparsable_line").Add(2)
	s.Muted.Add(4)
	s.Overflows.Inc()
	return s
}

// invalidKindStats is a ledger that already has an invalid_kind stage.
func invalidKindStats() *es.Stats {
	s := es.NewStats("synthetic")
	s.Dropped(stageInvalidKind).Inc()
	return s
}

func newTestCollector(t testing.TB, snap aggregate.Snapshot, topK, budget int, sources ...StatsSnapshotter) *Collector {
	t.Helper()
	if len(sources) == 0 {
		sources = []StatsSnapshotter{sampleStats("synthetic")}
	}
	c, err := NewCollector(CollectorConfig{
		Aggregate: &fakeAgg{snap}, Sources: sources,
		TopK: topK, SeriesBudget: budget, Version: "1.2.3", Revision: "abc123",
	})
	if err != nil {
		t.Fatalf("NewCollector: %v", err)
	}
	return c
}

var helpRE = regexp.MustCompile(`fqName: "([^"]+)", help: ("(?:[^"\\]|\\.)*")`)

// header returns the HELP and TYPE lines of a metric of the contract, with
// the help text taken from its descriptor.
func header(name, typ string) string {
	for _, d := range allDescs {
		m := helpRE.FindStringSubmatch(d.String())
		if m != nil && m[1] == name {
			help, err := strconv.Unquote(m[2])
			if err != nil {
				panic(err)
			}
			help = strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(help)
			return fmt.Sprintf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
		}
	}
	panic("no descriptor for " + name)
}

func TestCollectorCompare(t *testing.T) {
	collision := sampleSnapshot()
	collision.Paths.Top = []aggregate.Entry{
		{Key: "/tmp/a\xffb", Counts: aggregate.Counts{1}},
		{Key: "/tmp/ok", Counts: aggregate.Counts{0, 0, 8}},
		{Key: "/tmp/a\xfe\xfdb", Counts: aggregate.Counts{2, 0, 0, 0, 3}},
		{Key: "/tmp/a\uFFFDb", Counts: aggregate.Counts{4}},
	}
	budget := sampleSnapshot()
	budget.Processes.Top = []aggregate.Entry{
		{Key: "A", Counts: aggregate.Counts{1, 1}},
		{Key: "B", Counts: aggregate.Counts{1}},
	}
	budget.Paths.Top = []aggregate.Entry{
		{Key: "X", Counts: aggregate.Counts{1, 1}},
		{Key: "Y", Counts: aggregate.Counts{1}},
	}
	topK := []string{"estally_process_events_total", "estally_path_events_total", "estally_export_topk_series_omitted"}

	tests := []struct {
		name    string
		snap    aggregate.Snapshot
		topK    int
		budget  int
		sources []StatsSnapshotter
		metrics []string
		want    string
	}{
		{
			name: "events and tables", snap: sampleSnapshot(), topK: 10, budget: 200,
			metrics: []string{
				"estally_events_total", "estally_table_entries", "estally_table_capacity",
				"estally_table_evictions_total", "estally_table_rejected_events_total",
				"estally_table_resident_events", "estally_table_other_events_total",
			},
			want: header("estally_events_total", "counter") + `
estally_events_total{kind="close_modified",source="synthetic"} 10
estally_events_total{kind="create",source="synthetic"} 5
estally_events_total{kind="rename",source="synthetic"} 2
estally_events_total{kind="truncate",source="synthetic"} 0
estally_events_total{kind="unlink",source="synthetic"} 1
estally_events_total{kind="write",source="synthetic"} 100
` + header("estally_table_entries", "gauge") + `
estally_table_entries{table="path"} 3
estally_table_entries{table="process"} 2
` + header("estally_table_capacity", "gauge") + `
estally_table_capacity{table="path"} 5000
estally_table_capacity{table="process"} 1000
` + header("estally_table_evictions_total", "counter") + `
estally_table_evictions_total{table="path"} 0
estally_table_evictions_total{table="process"} 3
` + header("estally_table_rejected_events_total", "counter") + `
estally_table_rejected_events_total{table="path"} 7
estally_table_rejected_events_total{table="process"} 4
` + header("estally_table_resident_events", "gauge") + `
estally_table_resident_events{kind="close_modified",table="path"} 10
estally_table_resident_events{kind="close_modified",table="process"} 10
estally_table_resident_events{kind="create",table="path"} 5
estally_table_resident_events{kind="create",table="process"} 5
estally_table_resident_events{kind="rename",table="path"} 2
estally_table_resident_events{kind="rename",table="process"} 2
estally_table_resident_events{kind="truncate",table="path"} 0
estally_table_resident_events{kind="truncate",table="process"} 0
estally_table_resident_events{kind="unlink",table="path"} 1
estally_table_resident_events{kind="unlink",table="process"} 1
estally_table_resident_events{kind="write",table="path"} 93
estally_table_resident_events{kind="write",table="process"} 90
` + header("estally_table_other_events_total", "counter") + `
estally_table_other_events_total{kind="close_modified",table="path"} 0
estally_table_other_events_total{kind="close_modified",table="process"} 0
estally_table_other_events_total{kind="create",table="path"} 0
estally_table_other_events_total{kind="create",table="process"} 0
estally_table_other_events_total{kind="rename",table="path"} 0
estally_table_other_events_total{kind="rename",table="process"} 0
estally_table_other_events_total{kind="truncate",table="path"} 0
estally_table_other_events_total{kind="truncate",table="process"} 0
estally_table_other_events_total{kind="unlink",table="path"} 0
estally_table_other_events_total{kind="unlink",table="process"} 0
estally_table_other_events_total{kind="write",table="path"} 7
estally_table_other_events_total{kind="write",table="process"} 10
`,
		},
		{
			name: "source ledger", snap: sampleSnapshot(), topK: 10, budget: 200,
			metrics: []string{
				"estally_events_dropped_total", "estally_source_errors_total", "estally_source_overflows_total",
				"estally_events_muted_total", "estally_source_up", "estally_build_info",
			},
			want: header("estally_events_dropped_total", "counter") + `
estally_events_dropped_total{source="synthetic",stage="invalid_kind"} 0
estally_events_dropped_total{source="synthetic",stage="kernel"} 3
` + header("estally_source_errors_total", "counter") + `
estally_source_errors_total{reason="unparsable_line",source="synthetic"} 2
` + header("estally_source_overflows_total", "counter") + `
estally_source_overflows_total{source="synthetic"} 1
` + header("estally_events_muted_total", "counter") + `
estally_events_muted_total{source="synthetic"} 4
` + header("estally_source_up", "gauge") + `
estally_source_up{source="synthetic"} 1
` + header("estally_build_info", "gauge") + `
estally_build_info{goversion="` + goVersion() + `",revision="abc123",version="1.2.3"} 1
`,
		},
		{
			name: "two sources", snap: aggregate.Snapshot{Observed: aggregate.Counts{7}, Invalid: 2}, topK: 10, budget: 200,
			sources: []StatsSnapshotter{es.NewStats("fanotify"), sampleStats("eslogger")},
			metrics: []string{"estally_events_total", "estally_source_up", "estally_events_dropped_total"},
			want: header("estally_events_total", "counter") + `
estally_events_total{kind="close_modified",source="fanotify+eslogger"} 0
estally_events_total{kind="create",source="fanotify+eslogger"} 0
estally_events_total{kind="rename",source="fanotify+eslogger"} 0
estally_events_total{kind="truncate",source="fanotify+eslogger"} 0
estally_events_total{kind="unlink",source="fanotify+eslogger"} 0
estally_events_total{kind="write",source="fanotify+eslogger"} 7
` + header("estally_source_up", "gauge") + `
estally_source_up{source="eslogger"} 1
estally_source_up{source="fanotify"} 0
` + header("estally_events_dropped_total", "counter") + `
estally_events_dropped_total{source="eslogger",stage="kernel"} 3
estally_events_dropped_total{source="fanotify+eslogger",stage="invalid_kind"} 2
`,
		},
		{
			name: "invalid kinds merged into the source's own stage", snap: aggregate.Snapshot{Invalid: 2}, topK: 10, budget: 200,
			sources: []StatsSnapshotter{invalidKindStats()},
			metrics: []string{"estally_events_dropped_total"},
			want: header("estally_events_dropped_total", "counter") + `
estally_events_dropped_total{source="synthetic",stage="invalid_kind"} 3
`,
		},
		{
			name: "top-K, nonzero kinds only", snap: sampleSnapshot(), topK: 10, budget: 200, metrics: topK,
			want: header("estally_process_events_total", "counter") + `
estally_process_events_total{kind="close_modified",process="/bin/cp"} 5
estally_process_events_total{kind="create",process="/bin/cp"} 5
estally_process_events_total{kind="rename",process="/bin/cp"} 2
estally_process_events_total{kind="unlink",process="/bin/cp"} 1
estally_process_events_total{kind="write",process="/bin/cp"} 30
estally_process_events_total{kind="close_modified",process="/usr/bin/dd"} 5
estally_process_events_total{kind="write",process="/usr/bin/dd"} 60
` + header("estally_path_events_total", "counter") + `
estally_path_events_total{kind="close_modified",path="/tmp/x"} 10
estally_path_events_total{kind="create",path="/tmp/x"} 5
estally_path_events_total{kind="rename",path="/tmp/x"} 2
estally_path_events_total{kind="unlink",path="/tmp/x"} 1
estally_path_events_total{kind="write",path="/tmp/x"} 43
estally_path_events_total{kind="write",path="/var/log/app.log"} 50
` + header("estally_export_topk_series_omitted", "gauge") + `
estally_export_topk_series_omitted 0
`,
		},
		{
			name: "top-K limited to K", snap: sampleSnapshot(), topK: 1, budget: 200, metrics: topK,
			want: header("estally_process_events_total", "counter") + `
estally_process_events_total{kind="close_modified",process="/usr/bin/dd"} 5
estally_process_events_total{kind="write",process="/usr/bin/dd"} 60
` + header("estally_path_events_total", "counter") + `
estally_path_events_total{kind="write",path="/var/log/app.log"} 50
` + header("estally_export_topk_series_omitted", "gauge") + `
estally_export_topk_series_omitted 0
`,
		},
		{
			name: "top-K disabled", snap: sampleSnapshot(), topK: 0, budget: 200, metrics: topK,
			want: header("estally_export_topk_series_omitted", "gauge") + `
estally_export_topk_series_omitted 0
`,
		},
		{
			// Interleaved by rank: A (2) fits, X (2) does not fit in the 1
			// left and is skipped, B (1) fits, Y (1) does not.
			name: "budget spent by rank, whole entries", snap: budget, topK: 10, budget: 3, metrics: topK,
			want: header("estally_process_events_total", "counter") + `
estally_process_events_total{kind="close_modified",process="A"} 1
estally_process_events_total{kind="write",process="A"} 1
estally_process_events_total{kind="write",process="B"} 1
` + header("estally_export_topk_series_omitted", "gauge") + `
estally_export_topk_series_omitted 3
`,
		},
		{
			name: "colliding sanitised paths merged", snap: collision, topK: 10, budget: 200,
			metrics: []string{"estally_path_events_total", "estally_label_values_sanitized_total"},
			want: header("estally_path_events_total", "counter") + `
estally_path_events_total{kind="unlink",path="/tmp/a` + "\uFFFD" + `b"} 3
estally_path_events_total{kind="write",path="/tmp/a` + "\uFFFD" + `b"} 7
estally_path_events_total{kind="create",path="/tmp/ok"} 8
` + header("estally_label_values_sanitized_total", "counter") + `
estally_label_values_sanitized_total{reason="collision"} 2
estally_label_values_sanitized_total{reason="control_chars"} 0
estally_label_values_sanitized_total{reason="invalid_utf8"} 2
estally_label_values_sanitized_total{reason="truncated"} 0
`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestCollector(t, tc.snap, tc.topK, tc.budget, tc.sources...)
			if err := testutil.CollectAndCompare(c, strings.NewReader(tc.want), tc.metrics...); err != nil {
				t.Error(err)
			}
		})
	}
}

func goVersion() string {
	var m dto.Metric
	c := newTestCollectorNoTB()
	if err := c.buildInfo.Write(&m); err != nil {
		panic(err)
	}
	for _, l := range m.GetLabel() {
		if l.GetName() == "goversion" {
			return l.GetValue()
		}
	}
	panic("no goversion")
}

func newTestCollectorNoTB() *Collector {
	c, err := NewCollector(CollectorConfig{Aggregate: &fakeAgg{}, Sources: []StatsSnapshotter{es.NewStats("x")}})
	if err != nil {
		panic(err)
	}
	return c
}

func TestNewCollectorErrors(t *testing.T) {
	agg := &fakeAgg{}
	src := []StatsSnapshotter{es.NewStats("a")}
	tests := []struct {
		name string
		cfg  CollectorConfig
		want string
	}{
		{"no aggregate", CollectorConfig{Sources: src}, "exporter: collector: no aggregate"},
		{"no sources", CollectorConfig{Aggregate: agg}, "exporter: collector: no sources"},
		{"nil source", CollectorConfig{Aggregate: agg, Sources: []StatsSnapshotter{nil}}, "exporter: collector: source 0 is nil"},
		{"duplicate source", CollectorConfig{Aggregate: agg, Sources: []StatsSnapshotter{es.NewStats("a"), es.NewStats("a")}},
			`exporter: collector: duplicate source name "a"`},
		{"negative top-K", CollectorConfig{Aggregate: agg, Sources: src, TopK: -1}, "exporter: collector: top-K -1 is negative"},
		{"negative budget", CollectorConfig{Aggregate: agg, Sources: src, SeriesBudget: -1},
			"exporter: collector: series budget -1 is negative"},
		{"label limit too small", CollectorConfig{Aggregate: agg, Sources: src, LabelLimit: 8},
			"exporter: collector: label limit 8 is below the minimum 16"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCollector(tc.cfg)
			if err == nil || err.Error() != tc.want {
				t.Errorf("NewCollector error = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestCollectorPedanticAndLint registers the collector with a pedantic
// registry (Collect checked against Describe) and lints the result.
func TestCollectorPedanticAndLint(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(newTestCollector(t, hostileSnapshot(), 10, 200)); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Gather(); err != nil {
		t.Fatalf("pedantic Gather: %v", err)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// TestNewRegistry checks the standard collectors are there and nothing
// conflicts.
func TestNewRegistry(t *testing.T) {
	reg, err := NewRegistry(newTestCollector(t, sampleSnapshot(), 10, 200))
	if err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, mf := range mfs {
		have[mf.GetName()] = true
	}
	for _, name := range []string{"go_goroutines", "estally_events_total", "estally_build_info"} {
		if !have[name] {
			t.Errorf("registry lacks %s", name)
		}
	}
	if _, err := NewRegistry(newTestCollectorNoTB(), newTestCollectorNoTB()); err == nil {
		t.Error("NewRegistry with two collectors of the same metrics: no error")
	}
}

// TestSeriesBudgetExact: K = 100 entries per table, all six kinds each,
// budget 200: exactly 33 whole entries fit (198 series), the rest is counted
// as omitted.
func TestSeriesBudgetExact(t *testing.T) {
	snap := aggregate.Snapshot{}
	all := aggregate.Counts{1, 1, 1, 1, 1, 1}
	for i := range 100 {
		snap.Processes.Top = append(snap.Processes.Top, aggregate.Entry{Key: fmt.Sprintf("/bin/p%03d", i), Counts: all})
		snap.Paths.Top = append(snap.Paths.Top, aggregate.Entry{Key: fmt.Sprintf("/data/f%03d", i), Counts: all})
	}
	c := newTestCollector(t, snap, 100, 200)
	procs := testutil.CollectAndCount(c, "estally_process_events_total")
	paths := testutil.CollectAndCount(c, "estally_path_events_total")
	if procs+paths > 200 {
		t.Errorf("top-K series = %d, over the budget 200", procs+paths)
	}
	// Interleaved: process ranks 0..16 (17 entries) and path ranks 0..15 (16).
	if procs != 17*6 || paths != 16*6 {
		t.Errorf("process series = %d, path series = %d; want %d and %d", procs, paths, 17*6, 16*6)
	}
	if got, want := gaugeValue(t, c, "estally_export_topk_series_omitted"), float64(1200-198); got != want {
		t.Errorf("omitted = %v, want %v", got, want)
	}
}

func gaugeValue(t *testing.T, c prometheus.Collector, name string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// TestCollisionsLongList exercises the map-based collision check (lists
// longer than linearSearchMax) with paths that only differ past the cap.
func TestCollisionsLongList(t *testing.T) {
	snap := aggregate.Snapshot{}
	head, tail := strings.Repeat("h", 200), strings.Repeat("t", 200)
	for i := range 40 {
		key := fmt.Sprintf("/data/%02d", i)
		if i%2 == 0 {
			key = head + fmt.Sprintf("-%02d-", i) + tail // all truncate to the same value
		}
		snap.Paths.Top = append(snap.Paths.Top, aggregate.Entry{Key: key, Counts: aggregate.Counts{uint64(i + 1)}})
	}
	c := newTestCollector(t, snap, 40, 200)
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	var series int
	var merged, total float64
	for _, mf := range mfs {
		if mf.GetName() != "estally_path_events_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			series++
			total += m.GetCounter().GetValue()
			if strings.Contains(m.GetLabel()[1].GetValue(), TruncationMarker) {
				merged = m.GetCounter().GetValue()
			}
		}
	}
	if series != 21 {
		t.Errorf("path series = %d, want 21 (20 distinct + 1 merged)", series)
	}
	if want := float64(40 * 41 / 2); total != want {
		t.Errorf("sum of path series = %v, want %v (no count lost in the merge)", total, want)
	}
	if want := float64(20 * 20); merged != want { // 1+3+...+39
		t.Errorf("merged series = %v, want %v", merged, want)
	}
}

// TestConcurrentScrapes runs scrapes in parallel (under -race in CI) and
// checks the cumulative sanitised-label counter adds up.
func TestConcurrentScrapes(t *testing.T) {
	c := newTestCollector(t, hostileSnapshot(), 10, 200)
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	// One scrape's worth of alterations.
	var perScrape [numReasons]uint64
	snap := hostileSnapshot()
	for _, top := range [][]aggregate.Entry{snap.Processes.Top, snap.Paths.Top} {
		for _, g := range groupTop(top, 10, DefaultLabelLimit) {
			for r, n := range g.why {
				perScrape[r] += n
			}
		}
	}
	const workers, scrapes = 4, 25
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range scrapes {
				if _, err := reg.Gather(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for r := range numReasons {
		if got, want := c.sanitized[r].Load(), perScrape[r]*workers*scrapes; got != want {
			t.Errorf("sanitised %s = %d, want %d", reasonNames[r], got, want)
		}
	}
}
