package es

// Batcher is an optional interface of a [Sink]. A source that delivers
// events in bursts — one kernel read, one paced batch — calls BeginBatch
// before a burst and EndBatch after it, and does not block in between, so
// that the sink can take its lock once per burst instead of once per event.
// Both calls come from the goroutine that calls Observe.
type Batcher interface {
	BeginBatch()
	EndBatch()
}

// BatcherOf returns sink's Batcher, or one that does nothing when sink has
// none. Sources call it once, when they start.
func BatcherOf(sink Sink) Batcher {
	if b, ok := sink.(Batcher); ok {
		return b
	}
	return noBatch{}
}

type noBatch struct{}

func (noBatch) BeginBatch() {}
func (noBatch) EndBatch()   {}
