package aggregate

import (
	"hash/maphash"
	"strconv"
	"testing"
)

func TestDoorkeeper(t *testing.T) {
	const capacity = 1000
	d := newDoorkeeper(capacity)
	seed := maphash.MakeSeed()
	h := func(i int) uint64 { return maphash.String(seed, "/scan/"+strconv.Itoa(i)) }

	// A key seen once is admitted on its second sighting within the window.
	if d.seen(h(-1)) {
		t.Fatal("first sighting reported as seen")
	}
	if !d.seen(h(-1)) {
		t.Fatal("second sighting not reported as seen")
	}
	// A scan of distinct keys is almost never taken for repeats.
	falsePositives := 0
	const scan = 100 * capacity
	for i := range scan {
		if d.seen(h(i)) {
			falsePositives++
		}
	}
	if rate := float64(falsePositives) / scan; rate > 0.01 {
		t.Fatalf("false positive rate %.4f under a scan, want < 1%%", rate)
	}
	// The window slides: a key refused long ago is forgotten.
	d.seen(h(-2))
	for i := range 2 * doorWindowMul * capacity {
		d.seen(h(scan + i))
	}
	if d.seen(h(-2)) {
		t.Log("key remembered past two windows (a false positive is possible but unlikely)")
	}
	// But one refused within the last window is remembered across a rotation.
	d.seen(h(-3))
	for i := range doorWindowMul*capacity - 10 {
		d.seen(h(3*scan + i))
	}
	if !d.seen(h(-3)) {
		t.Fatal("key refused within the window was forgotten")
	}
}
