package dashboards

import (
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	grafana "github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// schemaPanelTypes are the panel plugins registered for the strict decode
// below; a panel of another type must be registered here first.
var schemaPanelTypes = []string{"timeseries", "stat", "table"}

// TestDashboardSchema decodes the dashboard strictly with Grafana's
// generated Go types (grafana-foundation-sdk v0.0.22): an unknown,
// misspelt, missing or mistyped field fails, in the dashboard, in the
// options and field config of timeseries/stat/table panels, and in
// Prometheus queries. A field added by a newer Grafana's export fails too:
// drop it, or bump the SDK.
func TestDashboardSchema(t *testing.T) {
	runtime := cog.NewRuntime()
	runtime.RegisterPanelcfgVariant(timeseries.VariantConfig())
	runtime.RegisterPanelcfgVariant(stat.VariantConfig())
	runtime.RegisterPanelcfgVariant(table.VariantConfig())
	runtime.RegisterDataqueryVariant(prometheus.VariantConfig())

	for _, p := range queryPanels(loadDashboard(t)) {
		if !slices.Contains(schemaPanelTypes, p.Type) {
			t.Errorf("panel %q: type %q is not registered for the schema check", p.Title, p.Type)
		}
	}

	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d grafana.Dashboard
	// UnmarshalJSONStrict returns a typed nil (cog.BuildErrors) on success.
	if err := d.UnmarshalJSONStrict(b); err != nil {
		var be cog.BuildErrors
		if !errors.As(err, &be) || len(be) > 0 {
			t.Errorf("%s: %v", dashboardFile, err)
		}
	}
	if err := d.Validate(); err != nil {
		t.Errorf("%s: %v", dashboardFile, err)
	}
}
