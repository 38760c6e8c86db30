package dashboards

import (
	"regexp"
	"strings"
	"testing"
)

// This file holds a small, deliberately conservative PromQL scanner: enough
// to list the metric names an expression selects and the label matchers
// written next to them. The full parser (github.com/prometheus/prometheus)
// would add a large module to go.mod for a test; promtool, run by
// TestDashboardExprsParse, checks the syntax instead.

// metricRef is one metric selector in an expression.
type metricRef struct {
	Name     string // metric name
	Matchers string // the raw {…} block after the name, "" when none
}

var (
	// stringLiteral matches PromQL's three string forms.
	stringLiteral = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
	// rangeOrSubquery matches […] windows (durations, $__rate_interval, subqueries).
	rangeOrSubquery = regexp.MustCompile(`\[[^\[\]]*\]`)
	// groupingClause matches label lists of aggregations and vector matching.
	groupingClause = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	// templateVariable matches Grafana variables outside strings.
	templateVariable = regexp.MustCompile(`\$\{?\w+\}?`)
	// tokenPattern splits an expression into words (names, numbers, durations).
	tokenPattern = regexp.MustCompile(`[A-Za-z0-9_:.]+`)
	// metricName is the legacy metric-name charset.
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	// rangeFunction finds the first argument of the functions that want a
	// counter: rate(x[..]), irate(x[..]), increase(x[..]).
	rangeFunction = regexp.MustCompile(`\b(rate|irate|increase)\s*\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)`)
)

// promqlKeywords are words that look like names but are not metrics.
var promqlKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"bool": true, "and": true, "or": true, "unless": true, "offset": true,
	"inf": true, "nan": true, "Inf": true, "NaN": true,
}

// blank returns s with the bytes matched by re replaced by spaces, so that
// positions in the result still index the original.
func blank(re *regexp.Regexp, s string, keepEnds bool) string {
	return re.ReplaceAllStringFunc(s, func(m string) string {
		if keepEnds && len(m) >= 2 {
			return m[:1] + strings.Repeat(" ", len(m)-2) + m[len(m)-1:]
		}
		return strings.Repeat(" ", len(m))
	})
}

// metricRefs lists the metric selectors of expr, in order. It never fails:
// on malformed input it returns what it recognised (promtool judges syntax).
func metricRefs(expr string) []metricRef {
	// Strings first (they may hold anything, braces included), keeping the
	// quotes so matcher blocks stay recognisable.
	masked := blank(stringLiteral, expr, true)
	masked = blank(rangeOrSubquery, masked, false)
	masked = blank(groupingClause, masked, false)
	masked = blank(templateVariable, masked, false)

	// Brace blocks: label matchers, never names. inBraces marks their
	// bytes and closing maps each opening brace to its closing one (-1 when
	// unterminated), so the scan below stays linear.
	inBraces := make([]bool, len(masked))
	closing := map[int]int{}
	for i := 0; i < len(masked); i++ {
		if masked[i] != '{' {
			continue
		}
		end := strings.IndexByte(masked[i:], '}')
		if end < 0 {
			closing[i] = -1
			for j := i; j < len(masked); j++ {
				inBraces[j] = true
			}
			break
		}
		closing[i] = i + end
		for j := i; j <= i+end; j++ {
			inBraces[j] = true
		}
		i += end
	}

	var refs []metricRef
	for _, loc := range tokenPattern.FindAllStringIndex(masked, -1) {
		tok := masked[loc[0]:loc[1]]
		if !metricName.MatchString(tok) || promqlKeywords[tok] || inBraces[loc[0]] {
			continue
		}
		rest := strings.TrimLeft(masked[loc[1]:], " \t\r\n")
		if strings.HasPrefix(rest, "(") {
			continue // a function or an aggregation
		}
		ref := metricRef{Name: tok}
		if strings.HasPrefix(rest, "{") {
			open := len(masked) - len(rest)
			if end := closing[open]; end > open {
				ref.Matchers = expr[open : end+1]
			}
		}
		refs = append(refs, ref)
	}
	return refs
}

// rangeFunctionArgs returns the metric names passed directly to rate,
// irate and increase in expr.
func rangeFunctionArgs(expr string) []string {
	masked := blank(stringLiteral, expr, true)
	var names []string
	for _, m := range rangeFunction.FindAllStringSubmatch(masked, -1) {
		names = append(names, m[2])
	}
	return names
}

func TestMetricRefs(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want []metricRef
	}{
		{"bare", `up`, []metricRef{{Name: "up"}}},
		{"selector", `up{job="estally"} == 0`, []metricRef{{"up", `{job="estally"}`}}},
		{"rate with template window",
			`sum by (instance, kind) (rate(estally_events_total{job=~"$job"}[$__rate_interval]))`,
			[]metricRef{{"estally_events_total", `{job=~"$job"}`}}},
		{"aggregation modifier after", `sum(x_total) without (source)`, []metricRef{{Name: "x_total"}}},
		{"vector matching",
			`a - on (job, kind) group_left (extra) b`,
			[]metricRef{{Name: "a"}, {Name: "b"}}},
		{"strings hide names and braces",
			`label_replace(m{path="}{not_a_metric}"}, "dst", "$1 other", "src", "(.*)")`,
			[]metricRef{{"m", `{path="}{not_a_metric}"}`}}},
		{"offset and numbers", `rate(a_total[5m] offset 1h) > 1e3 and b > Inf`,
			[]metricRef{{Name: "a_total"}, {Name: "b"}}},
		{"topk parameter", `topk(10, sum by (process) (rate(p_total[1m])))`, []metricRef{{Name: "p_total"}}},
		{"recording rule name", `estally:events:rate5m > bool 0`, []metricRef{{Name: "estally:events:rate5m"}}},
		{"absent", `up == 0 or absent(up{job="e"})`, []metricRef{{Name: "up"}, {"up", `{job="e"}`}}},
		{"subquery", `max_over_time(rate(c_total[1m])[10m:1m])`, []metricRef{{Name: "c_total"}}},
		{"no metric", `vector(1) + scalar(time())`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := metricRefs(tt.expr)
			if len(got) != len(tt.want) {
				t.Fatalf("metricRefs(%q) = %q, want %q", tt.expr, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("metricRefs(%q)[%d] = %q, want %q", tt.expr, i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestRangeFunctionArgs(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{`rate(a_total[5m])`, []string{"a_total"}},
		{`sum(irate( b{x="rate(c)"}[1m])) / increase(d_total[1h])`, []string{"b", "d_total"}},
		{`deriv(g[5m])`, nil},
	}
	for _, tt := range tests {
		got := rangeFunctionArgs(tt.expr)
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("rangeFunctionArgs(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

// FuzzMetricRefs checks that the scanner never panics and only returns
// well-formed names and matcher blocks.
func FuzzMetricRefs(f *testing.F) {
	for _, seed := range []string{
		`up`, `sum by (a) (rate(x_total{a="b"}[5m]))`, `m{path="}{"}`, `{`, `"unterminated`,
		`a - on (b) group_left c`, "`raw`", `topk(10, x) offset 5m`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		for _, ref := range metricRefs(expr) {
			if !metricName.MatchString(ref.Name) {
				t.Errorf("metricRefs(%q) returned bad name %q", expr, ref.Name)
			}
			if ref.Matchers != "" && (ref.Matchers[0] != '{' || ref.Matchers[len(ref.Matchers)-1] != '}') {
				t.Errorf("metricRefs(%q) returned bad matchers %q", expr, ref.Matchers)
			}
		}
		for _, name := range rangeFunctionArgs(expr) {
			if !metricName.MatchString(name) {
				t.Errorf("rangeFunctionArgs(%q) returned bad name %q", expr, name)
			}
		}
	})
}
