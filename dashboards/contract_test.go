package dashboards

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// contractMetrics are the estally metric names the dashboard and the rules
// may use: the exporter's contract (issues 2 and 3) and the summary
// channel's (issue 4). A name the exporter renames must change here, in the
// dashboard and in the rules together; TestContractIsProduced catches the
// rename.
var contractMetrics = []string{
	"estally_build_info",
	"estally_events_total",
	"estally_events_dropped_total",
	"estally_events_muted_total",
	"estally_source_errors_total",
	"estally_source_overflows_total",
	"estally_source_up",
	"estally_table_entries",
	"estally_table_capacity",
	"estally_table_evictions_total",
	"estally_table_rejected_events_total",
	"estally_table_resident_events",
	"estally_table_other_events_total",
	"estally_process_events_total",
	"estally_path_events_total",
	"estally_export_topk_series_omitted",
	"estally_label_values_sanitized_total",
	"estally_summary_messages_total",
	"estally_summary_coalesced_total",
	"estally_summary_subscribers",
	"estally_summary_disconnects_total",
}

// allowedMetric reports whether a query may use name: a contract metric,
// the standard process collector's process_* metrics, or Prometheus' up.
func allowedMetric(name string) bool {
	return slices.Contains(contractMetrics, name) || strings.HasPrefix(name, "process_") || name == "up"
}

// producedNamePattern finds metric names where the code and the exporter's
// golden exposition spell them out.
var producedNamePattern = regexp.MustCompile(`estally_[a-z0-9_]+`)

// TestContractIsProduced checks that every contract metric is produced by
// the code: named in the exporter's golden exposition or spelled out in the
// summary channel's metrics. It fails when a metric the dashboard relies on
// is renamed or removed.
func TestContractIsProduced(t *testing.T) {
	sources := []string{filepath.Join("..", "exporter", "testdata", "metrics.golden")}
	more, err := filepath.Glob(filepath.Join("..", "summary", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	sources = append(sources, more...)
	produced := map[string]bool{}
	for _, path := range sources {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		for _, name := range producedNamePattern.FindAllString(string(b), -1) {
			produced[name] = true
		}
	}
	for _, name := range contractMetrics {
		if !produced[name] {
			t.Errorf("contract metric %s is produced by neither the exporter's golden exposition nor summary/: "+
				"renamed? change dashboards/ together with it", name)
		}
	}
}
