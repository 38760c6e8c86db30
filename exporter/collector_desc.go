package exporter

import "github.com/prometheus/client_golang/prometheus"

const namespace = "estally"

func newDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
}

// The metric contract. Names and labels are relied on by dashboards and
// alerting rules: change them only together with those.
var (
	eventsDesc = newDesc("events_total",
		"Events folded into the tables, by event kind. source names the source(s) feeding the fold.",
		"source", "kind")
	droppedDesc = newDesc("events_dropped_total",
		"Events known to be lost before the fold, by source and stage (kernel: losses the kernel reported; "+
			"invalid_kind: events the fold rejected because their kind was out of range, a source bug).",
		"source", "stage")
	sourceErrorsDesc = newDesc("source_errors_total",
		"Input a source could not use (unparsable line, stale handle, ...), by source and reason.",
		"source", "reason")
	overflowsDesc = newDesc("source_overflows_total",
		"Queue-overflow episodes a source reported; the number of events lost in each is unknown.",
		"source")
	mutedDesc = newDesc("events_muted_total",
		"Events a source dropped on purpose before the fold because they were the agent's own (self-muting).",
		"source")
	sourceUpDesc = newDesc("source_up",
		"Whether the source is currently delivering events (1) or not (0).",
		"source")

	tableEntriesDesc = newDesc("table_entries",
		"Entries resident in the table.", "table")
	tableCapacityDesc = newDesc("table_capacity",
		"Maximum number of entries resident in the table.", "table")
	tableEvictionsDesc = newDesc("table_evictions_total",
		"Entries evicted from the table to make room for a new key; their counts moved to estally_table_other_events_total.",
		"table")
	tableRejectedDesc = newDesc("table_rejected_events_total",
		"Events of keys the table did not admit; their counts are in estally_table_other_events_total.",
		"table")
	tableResidentDesc = newDesc("table_resident_events",
		"Events counted by the entries resident in the table, per kind. It falls when entries are evicted; "+
			"resident + other equals estally_events_total summed over sources.",
		"table", "kind")
	tableOtherDesc = newDesc("table_other_events_total",
		"Events of keys evicted from the table or never admitted to it, per kind; "+
			"resident + other equals estally_events_total summed over sources.",
		"table", "kind")

	processEventsDesc = newDesc("process_events_total",
		"Events by the top processes of the process table (ranked by recent activity), per kind; nonzero kinds only. "+
			"process is the executable path, sanitised and length-capped. A series restarts when its entry is re-admitted.",
		"process", "kind")
	pathEventsDesc = newDesc("path_events_total",
		"Events on the top paths of the path table (ranked by recent activity), per kind; nonzero kinds only. "+
			"path is the file path, sanitised and length-capped. A series restarts when its entry is re-admitted.",
		"path", "kind")
	topkOmittedDesc = newDesc("export_topk_series_omitted",
		"Top-K series (estally_process_events_total and estally_path_events_total) left out of this scrape "+
			"because the series budget was spent; their events are still in estally_events_total.")

	sanitizedDesc = newDesc("label_values_sanitized_total",
		"Label values this exporter altered while building scrapes, by reason "+
			"(invalid_utf8, control_chars, truncated; collision: merged with another entry's equal sanitised value). "+
			"Counted once per altered value per scrape and reason.",
		"reason")
	buildInfoDesc = newDesc("build_info",
		"Build information of the estally agent; the value is always 1.",
		"version", "revision", "goversion")
)

var allDescs = []*prometheus.Desc{
	eventsDesc, droppedDesc, sourceErrorsDesc, overflowsDesc, mutedDesc, sourceUpDesc,
	tableEntriesDesc, tableCapacityDesc, tableEvictionsDesc, tableRejectedDesc, tableResidentDesc, tableOtherDesc,
	processEventsDesc, pathEventsDesc, topkOmittedDesc,
	sanitizedDesc, buildInfoDesc,
}
