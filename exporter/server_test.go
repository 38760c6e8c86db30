package exporter

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

const (
	authConfig   = "testdata/web-config-basic-auth.yml"
	authUser     = "estally"
	authPassword = "estally-test-password" // see testdata/web-config-basic-auth.yml
)

// testServer is a Server serving on 127.0.0.1:0 until the test ends.
type testServer struct {
	*Server
	url    string
	cancel context.CancelFunc
	done   chan error
}

// startServer builds a server over a registry holding a collector of snap,
// lets setup mount handlers, and serves it on a loopback listener.
func startServer(t *testing.T, cfg ServerConfig, setup func(*Server)) *testServer {
	t.Helper()
	if cfg.Registry == nil {
		reg, err := NewRegistry(newTestCollector(t, hostileSnapshot(), 10, 200))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Registry = reg
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	if setup != nil {
		setup(srv)
	}
	ls, err := Listen([]string{"127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{Server: srv, url: "http://" + ls[0].Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { ts.done <- srv.Serve(ctx, ls) }()
	t.Cleanup(func() {
		cancel()
		if err := <-ts.done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ts
}

// get fetches url with optional basic auth and returns status, content type
// and body.
func get(t *testing.T, client *http.Client, url, user, pass string) (int, string, string) {
	t.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}

func TestServerRoutes(t *testing.T) {
	ts := startServer(t, ServerConfig{Version: "1.2.3"}, func(s *Server) {
		if err := s.Handle("GET /api/v1/summary", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, `{"ok":true}`)
		})); err != nil {
			t.Fatal(err)
		}
	})
	tests := []struct {
		path     string
		status   int
		contains []string
	}{
		{"/", 200, []string{"estally", `href="/metrics"`, "1.2.3"}},
		{"/metrics", 200, []string{"estally_events_total", "go_goroutines", "process_", "promhttp_metric_handler_requests_total"}},
		{"/api/v1/summary", 200, []string{`{"ok":true}`}},
		{"/nope", 404, nil},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			status, _, body := get(t, nil, ts.url+tc.path, "", "")
			if status != tc.status {
				t.Fatalf("status %d, want %d; body %.200q", status, tc.status, body)
			}
			for _, s := range tc.contains {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q", s)
				}
			}
		})
	}
	// Mounting while serving works too.
	if err := ts.Handle("/late", http.NotFoundHandler()); err != nil {
		t.Errorf("Handle while serving: %v", err)
	}
}

func TestServerTelemetryPathRoot(t *testing.T) {
	ts := startServer(t, ServerConfig{TelemetryPath: "/"}, nil)
	status, _, body := get(t, nil, ts.url+"/", "", "")
	if status != 200 || !strings.Contains(body, "estally_events_total") {
		t.Errorf("GET / = %d %.200q, want metrics", status, body)
	}
}

func TestServerHandleErrors(t *testing.T) {
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(ServerConfig{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		pattern string
		h       http.Handler
	}{
		{"conflicts with metrics", "/metrics", http.NotFoundHandler()},
		{"invalid pattern", "GET  /x{", http.NotFoundHandler()},
		{"nil handler", "/x", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := srv.Handle(tc.pattern, tc.h); err == nil {
				t.Errorf("Handle(%q) = nil, want an error", tc.pattern)
			}
		})
	}
}

func TestNewServerErrors(t *testing.T) {
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	badHash := filepath.Join(t.TempDir(), "bad.yml")
	if err := os.WriteFile(badHash, []byte("basic_auth_users:\n  u: not-a-bcrypt-hash\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  ServerConfig
		want string
	}{
		{"no registry", ServerConfig{}, "exporter: server: no registry"},
		{"relative path", ServerConfig{Registry: reg, TelemetryPath: "metrics"},
			`exporter: server: telemetry path "metrics" does not start with /`},
		{"negative", ServerConfig{Registry: reg, ScrapeTimeout: -1}, "exporter: server: negative limit or timeout"},
		{"missing web config", ServerConfig{Registry: reg, WebConfigFile: "testdata/nonexistent.yml"},
			"exporter: server: web config testdata/nonexistent.yml: "},
		{"bad hash", ServerConfig{Registry: reg, WebConfigFile: badHash}, "exporter: server: web config " + badHash + ": "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewServer(tc.cfg)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("NewServer error = %v, want prefix %q", err, tc.want)
			}
		})
	}
}

func TestServerBasicAuth(t *testing.T) {
	ts := startServer(t, ServerConfig{WebConfigFile: authConfig}, func(s *Server) {
		if err := s.Handle("GET /api/v1/summary", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, "summary")
		})); err != nil {
			t.Fatal(err)
		}
	})
	for _, path := range []string{"/", "/metrics", "/api/v1/summary"} {
		t.Run(path, func(t *testing.T) {
			if status, _, _ := get(t, nil, ts.url+path, "", ""); status != http.StatusUnauthorized {
				t.Errorf("no credentials: status %d, want 401", status)
			}
			if status, _, _ := get(t, nil, ts.url+path, authUser, "wrong"); status != http.StatusUnauthorized {
				t.Errorf("wrong password: status %d, want 401", status)
			}
			if status, _, _ := get(t, nil, ts.url+path, authUser, authPassword); status != http.StatusOK {
				t.Errorf("right password: status %d, want 200", status)
			}
		})
	}
}

// TestServerTLS serves over TLS with a self-signed certificate generated
// for the test, configured through a web config file.
func TestServerTLS(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM := selfSignedCert(t)
	for name, data := range map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM,
		"web.yml": []byte("tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n")} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ts := startServer(t, ServerConfig{WebConfigFile: filepath.Join(dir, "web.yml")}, nil)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	defer client.CloseIdleConnections()
	url := strings.Replace(ts.url, "http://", "https://", 1) + "/metrics"
	if status, _, body := get(t, client, url, "", ""); status != 200 || !strings.Contains(body, "estally_events_total") {
		t.Errorf("GET %s = %d %.200q", url, status, body)
	}
}

func selfSignedCert(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "estally test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// TestServerGracefulShutdown cancels Serve's context while a request is in
// flight: the request completes, then Serve returns nil and the listener is
// closed.
func TestServerGracefulShutdown(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	ts := startServer(t, ServerConfig{}, func(s *Server) {
		if err := s.Handle("/slow", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			close(started)
			<-release
			_, _ = io.WriteString(w, "done")
		})); err != nil {
			t.Fatal(err)
		}
	})
	type result struct {
		status int
		body   string
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get(ts.url + "/slow")
		if err != nil {
			res <- result{status: -1, body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		res <- result{resp.StatusCode, string(b)}
	}()
	<-started
	ts.cancel()
	select {
	case err := <-ts.done:
		t.Fatalf("Serve returned (%v) with a request in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if r := <-res; r.status != 200 || r.body != "done" {
		t.Errorf("in-flight request: %d %q, want 200 \"done\"", r.status, r.body)
	}
	if err := <-ts.done; err != nil {
		t.Errorf("Serve after shutdown: %v", err)
	}
	ts.done <- nil // for the cleanup
	if c, err := net.Dial("tcp", strings.TrimPrefix(ts.url, "http://")); err == nil {
		c.Close()
		t.Error("listener still accepts connections after shutdown")
	}
}

func TestServeErrors(t *testing.T) {
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(ServerConfig{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(context.Background(), nil); err == nil {
		t.Error("Serve without listeners: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ls, err := Listen([]string{"127.0.0.1:0", "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(ctx, ls); err != nil {
		t.Errorf("Serve with a done context: %v", err)
	}
	if err := srv.Serve(ctx, ls); err == nil {
		t.Error("second Serve: no error")
	}
	if _, err := Listen([]string{"127.0.0.1:0", "256.0.0.1:0"}); err == nil {
		t.Error("Listen on a bad address: no error")
	}
}

func TestServerMultipleListeners(t *testing.T) {
	reg, err := NewRegistry(newTestCollector(t, sampleSnapshot(), 10, 200))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(ServerConfig{Registry: reg, WebConfigFile: authConfig})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := Listen([]string{"127.0.0.1:0", "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ls) }()
	for _, l := range ls {
		url := "http://" + l.Addr().String() + "/metrics"
		if status, _, _ := get(t, nil, url, authUser, authPassword); status != 200 {
			t.Errorf("GET %s: %d", url, status)
		}
		if status, _, _ := get(t, nil, url, "", ""); status != 401 {
			t.Errorf("GET %s without auth: %d", url, status)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// TestHostileScrape scrapes hostile labels over HTTP: the scrape must be a
// 200, parse, and be lint-clean (promlint, and promtool when installed).
func TestHostileScrape(t *testing.T) {
	ts := startServer(t, ServerConfig{}, nil)
	status, ctype, body := get(t, nil, ts.url+"/metrics", "", "")
	if status != 200 {
		t.Fatalf("status %d: %.500s", status, body)
	}
	if !strings.HasPrefix(ctype, "text/plain") {
		t.Errorf("content type %q", ctype)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse scrape: %v", err)
	}
	if n := len(mfs["estally_path_events_total"].GetMetric()); n == 0 {
		t.Error("no path series in the scrape")
	}
	if strings.Contains(body, "promhttp_metric_handler_errors_total{cause=\"gathering\"} 1") {
		t.Error("the scrape reported a gathering error")
	}
	problems, err := promlint.New(strings.NewReader(body)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	promtoolCheck(t, []byte(body))
}

func TestLogAdapterRateLimit(t *testing.T) {
	var h recordHandler
	now := time.Unix(1000, 0)
	a := newLogAdapter(slog.New(&h), "scrape error")
	a.now = func() time.Time { return now }
	for range 10 {
		a.Println("boom")
	}
	if len(h.records) != logBurst {
		t.Fatalf("%d records after a burst of 10, want %d", len(h.records), logBurst)
	}
	now = now.Add(logEvery)
	_, _ = a.logger().Writer().Write([]byte("later\n"))
	if len(h.records) != logBurst+1 {
		t.Fatalf("%d records, want %d", len(h.records), logBurst+1)
	}
	last := h.records[len(h.records)-1]
	attrs := map[string]string{}
	last.Attrs(func(at slog.Attr) bool { attrs[at.Key] = at.Value.String(); return true })
	if attrs["err"] != "later" || attrs["suppressed_before"] != "5" {
		t.Errorf("record attrs %v, want err=later suppressed_before=5", attrs)
	}
}

type recordHandler struct{ records []slog.Record }

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.records = append(h.records, r)
	return nil
}
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordHandler) WithGroup(string) slog.Handler      { return h }
