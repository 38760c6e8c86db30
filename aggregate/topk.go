package aggregate

// topSet holds the k entries with the highest decayed score, maintained as
// scores change on the fold path so that a snapshot copies k entries instead
// of scanning the table. It is unordered, with its minimum tracked: only the
// minimum decides membership, and the hottest entries — the ones touched
// most — change nothing when their score grows.
//
// Scores only grow (decay is applied by making later events weigh more, see
// Aggregator), so an entry outside the set never outranks the set's minimum:
// when it was last touched it was compared against the minimum, and the
// minimum has only grown since. The set is therefore the exact top-k of the
// resident entries, provided members are evicted only when the table cannot
// hold more than k entries (table.evictOne).
type topSet struct {
	k        int
	items    []*entry // members; each member's topIdx is its index here
	min      int      // index of the member with the lowest score
	minScore float64  // its score; once the set is full, what a non-member must beat
}

// touched updates the set after e's score grew. It is the fold's fast path:
// a member that is not the minimum, or a non-member below it, costs one
// comparison.
func (s *topSet) touched(e *entry) {
	if e.topIdx >= 0 {
		if int(e.topIdx) == s.min {
			s.findMin()
		}
		return
	}
	if len(s.items) == s.k && e.score <= s.minScore {
		return
	}
	s.enter(e)
}

// enter makes non-member e a member, replacing the minimum when the set is
// full (the caller checked that e beats it).
func (s *topSet) enter(e *entry) {
	if s.k == 0 {
		return
	}
	if len(s.items) < s.k {
		e.topIdx = int32(len(s.items))
		s.items = append(s.items, e)
	} else {
		s.items[s.min].topIdx = -1
		s.items[s.min] = e
		e.topIdx = int32(s.min)
	}
	s.findMin()
}

// remove takes member e out of the set.
func (s *topSet) remove(e *entry) {
	i, last := int(e.topIdx), len(s.items)-1
	s.items[i] = s.items[last]
	s.items[i].topIdx = int32(i)
	s.items[last] = nil
	s.items = s.items[:last]
	e.topIdx = -1
	s.findMin()
}

// findMin recomputes the minimum; renormalise calls it too, after scaling
// every member's score.
func (s *topSet) findMin() {
	s.min, s.minScore = 0, 0
	for i, e := range s.items {
		if i == 0 || e.score < s.minScore {
			s.min, s.minScore = i, e.score
		}
	}
}
