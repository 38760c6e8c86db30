package es

// esHandler turns Endpoint Security messages into events: it decodes them,
// accounts for drops from their sequence numbers, counts what it cannot
// use, applies the self-filter, and calls the sink. The native client calls
// it from its handler block; it is pure Go and does not allocate once its
// buffers have grown. It is not safe for concurrent use (ES delivers a
// client's messages serially).
type esHandler struct {
	dec  esDecoder
	seq  seqTracker
	sink Sink
	mute *Mute

	dropped   *Counter
	malformed *Counter
	unknownEv *Counter
	truncated *Counter
}

// newESHandler returns a handler counting into st. mute may be nil.
func newESHandler(st *Stats, sink Sink, mute *Mute) *esHandler {
	return &esHandler{
		sink:      sink,
		mute:      mute,
		dropped:   st.Dropped("kernel"),
		malformed: st.Errors(ReasonMalformedMessage),
		unknownEv: st.Errors(ReasonUnknownEventType),
		truncated: st.Errors(ReasonPathTruncated),
	}
}

// handleESMessage processes the message at msg.
func handleESMessage[P any, M esMemory[P]](h *esHandler, m M, msg P) {
	reason := decodeESMessage(&h.dec, m, msg)
	o := &h.dec.out
	// A message that was delivered advances the sequences even when the
	// rest of it cannot be used, so that it is not also counted as a drop.
	if o.hasSeq || o.hasGlobal {
		h.dropped.Add(h.seq.observe(o.eventType, o.seq, o.hasSeq, o.global, o.hasGlobal))
	}
	switch {
	case reason != "":
		h.malformed.Inc()
		return
	case !o.known:
		h.unknownEv.Inc()
		return
	case !o.fold:
		return
	}
	if o.pathTruncated {
		h.truncated.Inc()
	}
	if h.mute != nil && h.mute.Drop(&o.ev) {
		return
	}
	h.sink.Observe(&o.ev)
}
