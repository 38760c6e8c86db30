package summary

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestHTTPHandler(t *testing.T) {
	hub := NewHub(HubConfig{})
	srv := httptest.NewServer(HTTPHandler(hub))
	defer srv.Close()

	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("before the first summary: %d", resp.StatusCode)
	}

	s := NewBuilder(time.Second).Build(testSnapshot(time.Now(), 2, 10, 1), nil)
	js, _ := Encode(s, DefaultMaxBytes)
	hub.Publish(NewMessage(s, js))
	resp, err = http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || string(body) != string(js)+"\n" {
		t.Fatalf("GET: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	resp, err = http.Post(srv.URL, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", resp.StatusCode)
	}
	if got := testutil.ToFloat64(hub.Metrics().messages.WithLabelValues(TransportHTTP)); got != 1 {
		t.Fatalf("http messages %v", got)
	}
}

func TestMetricsLint(t *testing.T) {
	m := NewMetrics()
	m.Disconnected(TransportUnix, ReasonStuck)
	m.Refused(TransportUnix)
	problems, err := testutil.CollectAndLint(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}
