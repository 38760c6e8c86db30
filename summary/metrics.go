package summary

import "github.com/prometheus/client_golang/prometheus"

// Transport names, used as the transport label.
const (
	TransportUnix = "unix"
	TransportXPC  = "xpc"
	TransportHTTP = "http"
)

// Disconnect reasons, used as the reason label of
// estally_summary_disconnects_total. They are a fixed set chosen in code.
const (
	ReasonClientClosed       = "client_closed"        // the subscriber went away
	ReasonStuck              = "stuck"                // a delivery stayed in flight past the stuck timeout
	ReasonWriteError         = "write_error"          // the transport failed to deliver
	ReasonBadRequest         = "bad_request"          // garbage or an unknown op
	ReasonOversizedRequest   = "oversized_request"    // a request line over the limit
	ReasonReadTimeout        = "read_timeout"         // no complete request in time (slowloris)
	ReasonTooManySubscribers = "too_many_subscribers" // the subscriber limit was reached
	ReasonTooManyConnections = "too_many_connections" // the connection limit was reached
	ReasonRefusedPeer        = "refused_peer"         // peer credentials not allowed
	ReasonShutdown           = "shutdown"             // the agent is stopping
)

// Metrics is the summary channel's own accounting, a [prometheus.Collector]
// the agent registers. It is safe for concurrent use.
type Metrics struct {
	messages    *prometheus.CounterVec
	coalesced   *prometheus.CounterVec
	subscribers *prometheus.GaugeVec
	disconnects *prometheus.CounterVec
	refused     *prometheus.CounterVec
	built       prometheus.Counter
	lastBytes   prometheus.Gauge
	truncated   prometheus.Counter
}

// NewMetrics returns zeroed metrics. Each transport creates its series when
// it starts, so that they are exported before the first event.
func NewMetrics() *Metrics {
	m := &Metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "estally_summary_messages_total",
			Help: "Summaries delivered to subscribers and pull requests, by transport.",
		}, []string{"transport"}),
		coalesced: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "estally_summary_coalesced_total",
			Help: "Summaries replaced by a newer one before a subscriber took them, by transport.",
		}, []string{"transport"}),
		subscribers: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "estally_summary_subscribers",
			Help: "Current push subscribers, by transport.",
		}, []string{"transport"}),
		disconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "estally_summary_disconnects_total",
			Help: "Summary-channel connections closed or lost, by transport and reason.",
		}, []string{"transport", "reason"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "estally_summary_refused_peers_total",
			Help: "Connections refused because the peer's credentials are not allowed, by transport.",
		}, []string{"transport"}),
		built: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "estally_summary_built_total",
			Help: "Summaries built by the publisher.",
		}),
		lastBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "estally_summary_last_size_bytes",
			Help: "Encoded size of the latest summary.",
		}),
		truncated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "estally_summary_truncated_total",
			Help: "Summaries whose top lists were cut to fit the size cap.",
		}),
	}
	return m
}

// allReasons lists every disconnect reason, for exporting zeros.
var allReasons = []string{ReasonClientClosed, ReasonStuck, ReasonWriteError, ReasonBadRequest,
	ReasonOversizedRequest, ReasonReadTimeout, ReasonTooManySubscribers, ReasonTooManyConnections,
	ReasonRefusedPeer, ReasonShutdown}

// initTransport creates the series of a transport at zero, so they are
// exported before anything happens. Transports call it when they start.
func (m *Metrics) initTransport(t string) {
	m.messages.WithLabelValues(t)
	if t == TransportHTTP { // pull only
		return
	}
	m.coalesced.WithLabelValues(t)
	m.subscribers.WithLabelValues(t)
	m.refused.WithLabelValues(t)
	for _, r := range allReasons {
		m.disconnects.WithLabelValues(t, r)
	}
}

// Describe implements [prometheus.Collector].
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	m.messages.Describe(ch)
	m.coalesced.Describe(ch)
	m.subscribers.Describe(ch)
	m.disconnects.Describe(ch)
	m.refused.Describe(ch)
	m.built.Describe(ch)
	m.lastBytes.Describe(ch)
	m.truncated.Describe(ch)
}

// Collect implements [prometheus.Collector].
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.messages.Collect(ch)
	m.coalesced.Collect(ch)
	m.subscribers.Collect(ch)
	m.disconnects.Collect(ch)
	m.refused.Collect(ch)
	m.built.Collect(ch)
	m.lastBytes.Collect(ch)
	m.truncated.Collect(ch)
}

// Delivered counts one message delivered over transport.
func (m *Metrics) Delivered(transport string) { m.messages.WithLabelValues(transport).Inc() }

// Disconnected counts one connection closed for reason.
func (m *Metrics) Disconnected(transport, reason string) {
	m.disconnects.WithLabelValues(transport, reason).Inc()
}

// Refused counts one peer refused for its credentials. It also counts a
// disconnect with reason [ReasonRefusedPeer].
func (m *Metrics) Refused(transport string) {
	m.refused.WithLabelValues(transport).Inc()
	m.Disconnected(transport, ReasonRefusedPeer)
}

func (m *Metrics) coalescedInc(transport string) { m.coalesced.WithLabelValues(transport).Inc() }
func (m *Metrics) subscribersAdd(transport string, d int) {
	m.subscribers.WithLabelValues(transport).Add(float64(d))
}

func (m *Metrics) builtOne(size int, truncated bool) {
	m.built.Inc()
	m.lastBytes.Set(float64(size))
	if truncated {
		m.truncated.Inc()
	}
}
