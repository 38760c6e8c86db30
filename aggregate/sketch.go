package aggregate

import "math/bits"

// doorkeeper remembers which keys were refused admission lately, so that a
// full table admits a key only on its second sighting within the window. A
// scan of never-repeated keys (the cache-flushing attack) therefore cannot
// evict anything: it is folded into Other. This is TinyLFU's doorkeeper: a
// pair of Bloom filters forming a sliding window of the last window..2×window
// refusals, with memory fixed by the table capacity (16 bytes per entry).
//
// The filters are blocked: a key's bits in both filters lie in one 64-byte
// block, so a lookup costs one cache miss, which matters on the attack path.
type doorkeeper struct {
	blocks   [][blockWords]uint64 // words [cur, cur+halfWords) are the current filter
	cur      int                  // 0 or halfWords
	inserted int                  // insertions into the current filter
	window   int                  // insertions before the current filter becomes the previous one
}

const (
	blockWords     = 8 // one cache line
	halfWords      = blockWords / 2
	doorBitsPerKey = 16 // filter bits per windowed key: about 0.3 % false positives
	doorWindowMul  = 4  // window = 4 × capacity refusals
)

func newDoorkeeper(capacity int) *doorkeeper {
	window := doorWindowMul * capacity
	n := 1 << bits.Len(uint((doorBitsPerKey*window-1)/(64*halfWords))) // blocks, a power of two
	return &doorkeeper{blocks: make([][blockWords]uint64, n), window: window}
}

// seen reports whether the key with hash h was refused within the window,
// and records this sighting.
func (d *doorkeeper) seen(h uint64) bool {
	blk := &d.blocks[h&uint64(len(d.blocks)-1)]
	var cur, prev [halfWords]uint64 // the key's four bits, as masks over a half block
	for i := range 4 {
		b := h >> (32 + 8*i) & 255
		cur[b/64] |= 1 << (b % 64)
	}
	prev = cur
	inCur, inPrev := true, true
	for w := range halfWords {
		inCur = inCur && blk[d.cur+w]&cur[w] == cur[w]
		inPrev = inPrev && blk[halfWords-d.cur+w]&prev[w] == prev[w]
		blk[d.cur+w] |= cur[w]
	}
	if !inCur {
		d.inserted++
		if d.inserted >= d.window {
			d.rotate()
		}
	}
	return inCur || inPrev
}

// rotate makes the current filter the previous one and starts an empty one
// in the old previous filter's place.
func (d *doorkeeper) rotate() {
	d.cur = halfWords - d.cur
	for i := range d.blocks {
		clear(d.blocks[i][d.cur : d.cur+halfWords])
	}
	d.inserted = 0
}
