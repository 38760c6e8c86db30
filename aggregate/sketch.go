package aggregate

import "math/bits"

// doorkeeper remembers which keys were refused admission lately, so that a
// full table admits a key only on its second sighting within the window. A
// scan of never-repeated keys (the cache-flushing attack) therefore cannot
// evict anything: it is folded into Other. This is TinyLFU's doorkeeper: a
// pair of Bloom filters forming a sliding window of the last window..2×window
// refusals, with memory fixed by the table capacity.
type doorkeeper struct {
	cur, prev []uint64 // bit sets
	mask      uint64   // bit index mask
	inserted  int      // insertions into cur
	window    int      // insertions before cur becomes prev
}

const (
	doorHashes     = 4  // bits set per key
	doorBitsPerKey = 16 // filter bits per windowed key: false positives ≈ 0.25 % per filter
	doorWindowMul  = 4  // window = 4 × capacity refusals
)

func newDoorkeeper(capacity int) *doorkeeper {
	window := doorWindowMul * capacity
	nbits := 1 << bits.Len(uint(doorBitsPerKey*window-1)) // a power of two, ≥ 16 per key
	nbits = max(nbits, 512)
	return &doorkeeper{
		cur:    make([]uint64, nbits/64),
		prev:   make([]uint64, nbits/64),
		mask:   uint64(nbits - 1),
		window: window,
	}
}

// seen reports whether the key with hash h was refused within the window,
// and records this sighting.
func (d *doorkeeper) seen(h uint64) bool {
	lo, hi := h, h>>32|h<<32|1 // double hashing; hi is odd so every bit is reachable
	inCur, inPrev := true, true
	for i := range uint64(doorHashes) {
		b := (lo + i*hi) & d.mask
		w, m := b/64, uint64(1)<<(b%64)
		inCur = inCur && d.cur[w]&m != 0
		inPrev = inPrev && d.prev[w]&m != 0
		d.cur[w] |= m
	}
	if !inCur {
		d.inserted++
		if d.inserted >= d.window {
			d.cur, d.prev = d.prev, d.cur
			clear(d.cur)
			d.inserted = 0
		}
	}
	return inCur || inPrev
}
