package dashboards

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v2"
)

const (
	rulesDir      = "rules"
	rulesFile     = "estally.rules.yml"
	rulesTestFile = "estally.rules.test.yml"
)

type rule struct {
	Record      string            `yaml:"record"`
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type ruleTests struct {
	RuleFiles []string `yaml:"rule_files"`
	Tests     []struct {
		Name          string `yaml:"name"`
		AlertRuleTest []struct {
			Alertname string `yaml:"alertname"`
			ExpAlerts []any  `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
		PromqlExprTest []struct {
			Expr       string `yaml:"expr"`
			ExpSamples []any  `yaml:"exp_samples"`
		} `yaml:"promql_expr_test"`
	} `yaml:"tests"`
}

// loadYAML decodes path into v; strict rejects fields v does not declare.
func loadYAML(t *testing.T, path string, v any, strict bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	unmarshal := yaml.Unmarshal
	if strict {
		unmarshal = yaml.UnmarshalStrict
	}
	if err := unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func loadRules(t *testing.T) []rule {
	t.Helper()
	var f ruleFile
	loadYAML(t, rulesDir+"/"+rulesFile, &f, true)
	var rules []rule
	for _, g := range f.Groups {
		rules = append(rules, g.Rules...)
	}
	if len(rules) == 0 {
		t.Fatal("no rules")
	}
	return rules
}

// recordingName is Prometheus' level:metric:operations convention.
var recordingName = regexp.MustCompile(`^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$`)

// alertName is CamelCase with the shared Estally prefix.
var alertName = regexp.MustCompile(`^Estally[A-Z][A-Za-z]+$`)

func TestRulesConventions(t *testing.T) {
	rules := loadRules(t)
	recorded := map[string]bool{}
	for _, r := range rules {
		if r.Record != "" {
			recorded[r.Record] = true
		}
	}
	for _, r := range rules {
		switch {
		case r.Record != "":
			if !recordingName.MatchString(r.Record) {
				t.Errorf("recording rule %s: want level:metric:operations", r.Record)
			}
		case r.Alert != "":
			if !alertName.MatchString(r.Alert) {
				t.Errorf("alert %s: want CamelCase starting with Estally", r.Alert)
			}
			if s := r.Labels["severity"]; !slices.Contains([]string{"critical", "warning", "info"}, s) {
				t.Errorf("alert %s: severity %q, want critical, warning or info", r.Alert, s)
			}
			summary, description := r.Annotations["summary"], r.Annotations["description"]
			if summary == "" || !strings.HasSuffix(summary, ".") || strings.Contains(summary, "{{") {
				t.Errorf("alert %s: summary %q, want a static sentence ending in '.'", r.Alert, summary)
			}
			if description == "" || !strings.Contains(description, "{{") {
				t.Errorf("alert %s: description %q, want a templated explanation", r.Alert, description)
			}
		default:
			t.Errorf("rule with neither record nor alert: %q", r.Expr)
		}
		for _, ref := range metricRefs(r.Expr) {
			if !allowedMetric(ref.Name) && !recorded[ref.Name] {
				t.Errorf("rule %s%s: metric %s is neither in the contract nor recorded here", r.Record, r.Alert, ref.Name)
			}
		}
		for _, name := range rangeFunctionArgs(r.Expr) {
			if !strings.HasSuffix(name, "_total") {
				t.Errorf("rule %s%s: rate/irate/increase over %s, which is not a counter", r.Record, r.Alert, name)
			}
		}
	}
}

// TestRulesAreUnitTested requires, for every alert, a test where it fires
// and one where it does not, and a test evaluating every recording rule.
func TestRulesAreUnitTested(t *testing.T) {
	rules := loadRules(t)
	var tests ruleTests
	loadYAML(t, rulesDir+"/"+rulesTestFile, &tests, false)
	if !slices.Equal(tests.RuleFiles, []string{rulesFile}) {
		t.Errorf("rule_files = %q, want [%s]", tests.RuleFiles, rulesFile)
	}
	firing, quiet, evaluated := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				firing[a.Alertname] = true
			} else {
				quiet[a.Alertname] = true
			}
		}
		for _, e := range tc.PromqlExprTest {
			if len(e.ExpSamples) > 0 {
				evaluated[strings.TrimSpace(e.Expr)] = true
			}
		}
	}
	for _, r := range rules {
		switch {
		case r.Alert != "" && !firing[r.Alert]:
			t.Errorf("alert %s: no test where it fires", r.Alert)
		case r.Alert != "" && !quiet[r.Alert]:
			t.Errorf("alert %s: no test where it stays quiet", r.Alert)
		case r.Record != "" && !evaluated[r.Record]:
			t.Errorf("recording rule %s: no promql_expr_test with samples", r.Record)
		}
	}
}

// promtool returns the promtool binary. Without it the test fails in CI
// (CI=true: make test installs it via scripts/deps.sh) and skips elsewhere.
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("promtool not found with CI=true: %v (scripts/deps.sh installs Debian's prometheus package)", err)
		}
		t.Skip("promtool not installed: run `make deps` or `apt-get install prometheus` to run this test")
	}
	return path
}

func runPromtool(t *testing.T, dir string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, promtool(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("promtool %s:\n%s", strings.Join(args, " "), out)
}

func TestPromtoolCheckRules(t *testing.T) {
	runPromtool(t, rulesDir, "check", "rules", rulesFile)
}

func TestPromtoolTestRules(t *testing.T) {
	runPromtool(t, rulesDir, "test", "rules", rulesTestFile)
}

// TestDashboardExprsParse has Prometheus' parser (inside promtool) check
// every dashboard expression.
func TestDashboardExprsParse(t *testing.T) {
	path := dashboardExprsAsRules(t)
	runPromtool(t, ".", "check", "rules", path)
}
