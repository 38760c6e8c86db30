// Package dashboards holds estally's Grafana dashboard (grafana/estally.json),
// Grafana provisioning examples (grafana/provisioning/) and Prometheus
// recording and alerting rules with their promtool unit tests (rules/).
//
// The package has no non-test code: its tests check the dashboard JSON
// against the metric contract and the dashboard linter's rules, run
// `promtool check rules` and `promtool test rules` on the rules, and check
// every alert's labels and annotations. See docs/dashboards.md.
//
// Concurrency: nothing here runs concurrently; the tests only read files and
// run promtool.
package dashboards
