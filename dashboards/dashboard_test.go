package dashboards

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const dashboardFile = "grafana/estally.json"

// datasourceRef is how a panel or target names its data source.
type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// wantDatasource is the only data source reference allowed: the dashboard's
// datasource variable (file provisioning does not substitute __inputs).
var wantDatasource = datasourceRef{Type: "prometheus", UID: "${datasource}"}

type gridPos struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

type target struct {
	RefID      string         `json:"refId"`
	Datasource *datasourceRef `json:"datasource"`
	Expr       string         `json:"expr"`
	Instant    bool           `json:"instant"`
	Format     string         `json:"format"`
}

type panel struct {
	ID          int            `json:"id"`
	Type        string         `json:"type"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Datasource  *datasourceRef `json:"datasource"`
	GridPos     *gridPos       `json:"gridPos"`
	Collapsed   bool           `json:"collapsed"`
	Panels      []panel        `json:"panels"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Targets []target `json:"targets"`
}

type variable struct {
	Type       string          `json:"type"`
	Name       string          `json:"name"`
	Label      string          `json:"label"`
	Query      json.RawMessage `json:"query"`
	Datasource *datasourceRef  `json:"datasource"`
	Multi      bool            `json:"multi"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
	Refresh    int             `json:"refresh"`
}

// queryText returns a query variable's PromQL whether Grafana stored it as
// a string (older) or as {"query": ...} (newer).
func (v variable) queryText() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var q struct {
		Query string `json:"query"`
	}
	if json.Unmarshal(v.Query, &q) == nil {
		return q.Query
	}
	return ""
}

type dashboard struct {
	ID            *int   `json:"id"`
	UID           string `json:"uid"`
	Title         string `json:"title"`
	SchemaVersion int    `json:"schemaVersion"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

// allPanels flattens rows (collapsed rows carry their panels inside).
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

// queryPanels are the panels that query data (every type but row).
func queryPanels(d dashboard) []panel {
	var out []panel
	for _, p := range allPanels(d.Panels) {
		if p.Type != "row" {
			out = append(out, p)
		}
	}
	return out
}

func TestDashboardModel(t *testing.T) {
	d := loadDashboard(t)
	if d.UID != "estally-file-activity" {
		t.Errorf("uid = %q, want the stable estally-file-activity (provisioning key, URLs)", d.UID)
	}
	if len(d.UID) > 40 {
		t.Errorf("uid %q longer than Grafana's 40 characters", d.UID)
	}
	if d.Title != "estally — file activity" {
		t.Errorf("title = %q", d.Title)
	}
	if d.SchemaVersion != 39 {
		t.Errorf("schemaVersion = %d, want it pinned to 39", d.SchemaVersion)
	}
	if d.ID != nil {
		t.Errorf("id = %d, want null or absent in a provisioned dashboard", *d.ID)
	}
	if len(queryPanels(d)) == 0 {
		t.Fatal("no panels")
	}
}

func TestDashboardVariables(t *testing.T) {
	d := loadDashboard(t)
	vars := map[string]variable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}

	ds, ok := vars["datasource"]
	switch {
	case !ok:
		t.Error("no datasource variable")
	case ds.Type != "datasource" || ds.queryText() != "prometheus":
		t.Errorf("datasource variable: type %q query %q, want datasource/prometheus", ds.Type, ds.queryText())
	}

	for _, tt := range []struct{ name, label, query string }{
		{"job", "Job", "label_values(estally_build_info, job)"},
		{"instance", "Instance", `label_values(estally_build_info{job=~"$job"}, instance)`},
	} {
		v, ok := vars[tt.name]
		if !ok {
			t.Errorf("no %s variable", tt.name)
			continue
		}
		if v.Type != "query" || v.Label != tt.label || v.queryText() != tt.query {
			t.Errorf("%s variable: type %q label %q query %q, want query/%s/%s", tt.name, v.Type, v.Label, v.queryText(), tt.label, tt.query)
		}
		if v.Datasource == nil || *v.Datasource != wantDatasource {
			t.Errorf("%s variable: datasource %+v, want %+v", tt.name, v.Datasource, wantDatasource)
		}
		if !v.Multi || !v.IncludeAll || v.AllValue != ".+" || v.Refresh != 2 {
			t.Errorf("%s variable: multi %v includeAll %v allValue %q refresh %d, want true/true/.+/2 (on time-range change)",
				tt.name, v.Multi, v.IncludeAll, v.AllValue, v.Refresh)
		}
	}
}

func TestDashboardPanels(t *testing.T) {
	d := loadDashboard(t)
	ids, titles := map[int]string{}, map[string]bool{}
	for _, p := range queryPanels(d) {
		name := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if p.Title == "" || p.Description == "" {
			t.Errorf("%s: title and description are both required", name)
		}
		if titles[p.Title] {
			t.Errorf("%s: title used twice", name)
		}
		titles[p.Title] = true
		if other, dup := ids[p.ID]; dup || p.ID == 0 {
			t.Errorf("%s: id missing or shared with %q", name, other)
		}
		ids[p.ID] = p.Title
		if p.Datasource == nil || *p.Datasource != wantDatasource {
			t.Errorf("%s: datasource %+v, want %+v", name, p.Datasource, wantDatasource)
		}
		if p.FieldConfig.Defaults.Unit == "" {
			t.Errorf("%s: no fieldConfig.defaults.unit", name)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s: no targets", name)
		}
		refIDs := map[string]bool{}
		for _, tg := range p.Targets {
			if tg.RefID == "" || refIDs[tg.RefID] {
				t.Errorf("%s: refId %q empty or repeated", name, tg.RefID)
			}
			refIDs[tg.RefID] = true
			if tg.Datasource == nil || *tg.Datasource != wantDatasource {
				t.Errorf("%s target %s: datasource %+v, want %+v", name, tg.RefID, tg.Datasource, wantDatasource)
			}
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("%s target %s: empty expr", name, tg.RefID)
			}
			if p.Type == "table" && (!tg.Instant || tg.Format != "table") {
				t.Errorf("%s target %s: a table wants instant: true and format: table", name, tg.RefID)
			}
		}
	}
}

func TestDashboardLayout(t *testing.T) {
	d := loadDashboard(t)
	// Panels inside a collapsed row share its coordinates space only when
	// expanded; check the top level, which is what Grafana lays out first.
	type placed struct {
		name string
		g    gridPos
	}
	var seen []placed
	for _, p := range d.Panels {
		name := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		g := p.GridPos
		if g == nil {
			t.Errorf("%s: no gridPos", name)
			continue
		}
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.Y < 0 || g.X+g.W > 24 {
			t.Errorf("%s: gridPos %+v outside the 24-column grid", name, *g)
		}
		for _, o := range seen {
			if g.X < o.g.X+o.g.W && o.g.X < g.X+g.W && g.Y < o.g.Y+o.g.H && o.g.Y < g.Y+g.H {
				t.Errorf("%s at %+v overlaps %s at %+v", name, *g, o.name, o.g)
			}
		}
		seen = append(seen, placed{name, *g})
	}
}

// dashboardExprs returns every target expression with the panel it is in.
func dashboardExprs(t *testing.T) map[string]string {
	d := loadDashboard(t)
	out := map[string]string{}
	for _, p := range queryPanels(d) {
		for _, tg := range p.Targets {
			out[fmt.Sprintf("panel %d %q target %s", p.ID, p.Title, tg.RefID)] = tg.Expr
		}
	}
	return out
}

func TestDashboardExprs(t *testing.T) {
	for where, expr := range dashboardExprs(t) {
		refs := metricRefs(expr)
		if len(refs) == 0 {
			t.Errorf("%s: selects no metric: %s", where, expr)
		}
		for _, ref := range refs {
			if !allowedMetric(ref.Name) {
				t.Errorf("%s: metric %s is not in the contract", where, ref.Name)
			}
			// target-job / target-instance: every selector filters on both.
			if !strings.Contains(ref.Matchers, `job=~"$job"`) || !strings.Contains(ref.Matchers, `instance=~"$instance"`) {
				t.Errorf("%s: %s%s lacks job=~\"$job\" and instance=~\"$instance\"", where, ref.Name, ref.Matchers)
			}
		}
		for _, name := range rangeFunctionArgs(expr) {
			if !strings.HasSuffix(name, "_total") {
				t.Errorf("%s: rate/irate/increase over %s, which is not a counter (no _total)", where, name)
			}
		}
		// target-rate-interval: windows are $__rate_interval (or $__range
		// for totals over the whole time range), never fixed.
		for _, w := range rangeOrSubquery.FindAllString(expr, -1) {
			if w != "[$__rate_interval]" && w != "[$__range]" {
				t.Errorf("%s: window %s, want [$__rate_interval] or [$__range]", where, w)
			}
		}
	}
}

// TestOverflowPanelsSayLossIsUnknown keeps the overflow caveat on every
// panel that shows overflow episodes: fanotify reports only that its queue
// overflowed, never how many events were lost.
func TestOverflowPanelsSayLossIsUnknown(t *testing.T) {
	d := loadDashboard(t)
	found := false
	for _, p := range queryPanels(d) {
		for _, tg := range p.Targets {
			if !strings.Contains(tg.Expr, "estally_source_overflows_total") {
				continue
			}
			found = true
			if !strings.Contains(p.Description, "number of events lost in an overflow is unknown") {
				t.Errorf("panel %q: description must say the number of events lost in an overflow is unknown", p.Title)
			}
		}
	}
	if !found {
		t.Error("no panel shows estally_source_overflows_total")
	}
}

// TestDashboardCoversContract keeps every contract metric on the dashboard.
func TestDashboardCoversContract(t *testing.T) {
	used := map[string]bool{}
	for _, expr := range dashboardExprs(t) {
		for _, ref := range metricRefs(expr) {
			used[ref.Name] = true
		}
	}
	for _, name := range append(append([]string(nil), contractMetrics...), "process_cpu_seconds_total", "process_resident_memory_bytes") {
		if name == "estally_build_info" {
			continue // used by the variables
		}
		if !used[name] {
			t.Errorf("no panel shows %s", name)
		}
	}
}

// dashboardExprsAsRules renders the dashboard's expressions as a rule file,
// with Grafana's variables replaced by literals, so that promtool can parse
// them with Prometheus' own parser.
func dashboardExprsAsRules(t *testing.T) string {
	exprs := dashboardExprs(t)
	r := strings.NewReplacer(
		"$__rate_interval", "5m",
		"$__range", "1h",
		"$job", ".+",
		"$instance", ".+",
	)
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	i := 0
	for where, expr := range exprs {
		i++
		q, err := json.Marshal(r.Replace(expr)) // a JSON string is a YAML string
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "      # %s\n      - record: dashboard:expr_%d\n        expr: %s\n", strings.ReplaceAll(where, "\n", " "), i, q)
	}
	path := filepath.Join(t.TempDir(), "dashboard.rules.yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
