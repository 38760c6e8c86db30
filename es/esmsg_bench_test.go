package es

import (
	"testing"
	"unsafe"
)

// BenchmarkHandleESMessage measures the native handler's Go work per
// message (decode, sequence accounting, self-filter, sink call) on fake
// version-10 messages of every folded kind, read through raw pointers as in
// the ES handler. It does not include purego's block/callback trampoline,
// which only runs on a Mac.
func BenchmarkHandleESMessage(b *testing.B) {
	var msgs []unsafe.Pointer
	var keep []*fakeMem
	for _, c := range esCases {
		if c.badMsg || c.unknown {
			continue
		}
		f, msg := buildCase(c, 10, 0)
		keep = append(keep, f)
		msgs = append(msgs, f.raw(msg))
	}
	st := NewStats("bench")
	h := newESHandler(st, SinkFunc(func(*Event) {}), NewMute(MuteConfig{PIDs: []int32{1}}, st))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		handleESMessage(h, rawMemory{}, msgs[i%len(msgs)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "messages/s")
	if st.Errors(ReasonMalformedMessage).Load() != 0 {
		b.Fatal("fake messages rejected")
	}
	_ = keep
}
