package summary

import (
	"net/http"
	"strconv"
)

// HTTPPath is where the agent mounts [HTTPHandler].
const HTTPPath = "/api/v1/summary"

// HTTPHandler serves the latest summary as JSON on GET (and HEAD). It never
// builds a summary: a request costs one write of the shared encoding. Before
// the first summary it answers 503.
func HTTPHandler(h *Hub) http.Handler {
	h.Metrics().initTransport(TransportHTTP)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		m := h.Latest()
		if m == nil {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "no summary yet", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Length", strconv.Itoa(len(m.Line())))
		if r.Method == http.MethodHead {
			return
		}
		if _, err := w.Write(m.Line()); err == nil {
			h.Metrics().Delivered(TransportHTTP)
		}
	})
}
