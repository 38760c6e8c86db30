package aggregate

// topHeap is a min-heap of the k entries with the highest decayed score,
// maintained as scores change on the fold path so that a snapshot copies k
// entries instead of scanning the table.
//
// Scores only grow (decay is applied by making later events weigh more, see
// Aggregator), so an entry outside the heap never outranks the heap's
// minimum: when it was last touched it was compared against the minimum,
// and the minimum has only grown since. The heap is therefore the exact
// top-k of the resident entries, provided heap members are evicted only when
// the table cannot hold more than k entries (table.evictOne).
type topHeap struct {
	k     int
	items []*entry
}

func (h *topHeap) less(i, j int) bool { return h.items[i].score < h.items[j].score }

func (h *topHeap) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].heapIdx = int32(i)
	h.items[j].heapIdx = int32(j)
}

// touched restores the heap after e's score grew.
func (h *topHeap) touched(e *entry) {
	switch {
	case e.heapIdx >= 0:
		h.down(int(e.heapIdx))
	case len(h.items) < h.k:
		e.heapIdx = int32(len(h.items))
		h.items = append(h.items, e)
		h.up(len(h.items) - 1)
	case h.k > 0 && e.score > h.items[0].score:
		h.items[0].heapIdx = -1
		h.items[0] = e
		e.heapIdx = 0
		h.down(0)
	}
}

// remove takes e out of the heap.
func (h *topHeap) remove(e *entry) {
	i := int(e.heapIdx)
	last := len(h.items) - 1
	if i != last {
		h.swap(i, last)
	}
	h.items[last] = nil
	h.items = h.items[:last]
	e.heapIdx = -1
	if i != last {
		h.down(i)
		h.up(i)
	}
}

func (h *topHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h *topHeap) down(i int) {
	n := len(h.items)
	for {
		j := 2*i + 1
		if j >= n {
			return
		}
		if r := j + 1; r < n && h.less(r, j) {
			j = r
		}
		if !h.less(j, i) {
			return
		}
		h.swap(i, j)
		i = j
	}
}
