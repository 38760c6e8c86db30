package dashboards

import (
	"testing"
)

// TestProvisioningExamples keeps the provisioning examples loadable: the
// classic apiVersion 1 format, a file provider with a path, and a Prometheus
// data source.
func TestProvisioningExamples(t *testing.T) {
	var providers struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name                  string `yaml:"name"`
			OrgID                 int    `yaml:"orgId"`
			Folder                string `yaml:"folder"`
			Type                  string `yaml:"type"`
			DisableDeletion       bool   `yaml:"disableDeletion"`
			UpdateIntervalSeconds int    `yaml:"updateIntervalSeconds"`
			AllowUIUpdates        bool   `yaml:"allowUiUpdates"`
			Options               struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	loadYAML(t, "grafana/provisioning/dashboards.yml", &providers, true)
	if providers.APIVersion != 1 || len(providers.Providers) != 1 {
		t.Fatalf("dashboards.yml: apiVersion %d with %d providers, want 1 and 1", providers.APIVersion, len(providers.Providers))
	}
	if p := providers.Providers[0]; p.Type != "file" || p.Options.Path == "" {
		t.Errorf("dashboards.yml: provider type %q path %q, want a file provider with a path", p.Type, p.Options.Path)
	}

	var datasources struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name      string `yaml:"name"`
			Type      string `yaml:"type"`
			UID       string `yaml:"uid"`
			Access    string `yaml:"access"`
			URL       string `yaml:"url"`
			IsDefault bool   `yaml:"isDefault"`
			Editable  bool   `yaml:"editable"`
			JSONData  struct {
				TimeInterval string `yaml:"timeInterval"`
			} `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	loadYAML(t, "grafana/provisioning/datasources.yml", &datasources, true)
	if datasources.APIVersion != 1 || len(datasources.Datasources) != 1 {
		t.Fatalf("datasources.yml: apiVersion %d with %d data sources, want 1 and 1", datasources.APIVersion, len(datasources.Datasources))
	}
	if ds := datasources.Datasources[0]; ds.Type != "prometheus" || ds.URL == "" || ds.UID == "" {
		t.Errorf("datasources.yml: type %q uid %q url %q, want a prometheus data source with uid and url", ds.Type, ds.UID, ds.URL)
	}
}
