package aggregate

import (
	"cmp"
	"hash/maphash"
	"math"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/estally/estally/es"
)

// entry is one resident key's counters.
type entry struct {
	key       string
	counts    Counts
	bytes     uint64
	first     int64 // unix nanoseconds, at the aggregator clock's resolution
	last      int64
	score     float64 // forward-decayed event weight, valid for generation gen
	gen       uint32
	topIdx    int32 // position in the table's topSet, or -1
	pid       int32
	signingID string
	teamID    string
}

// clock is the aggregator's view of time, shared by both tables of one fold.
type clock struct {
	now    int64   // unix nanoseconds of the last Tick
	weight float64 // what one event adds to a score now
	gen    uint32  // renormalisation generation; scores of older ones shrink by renormShift per step
}

// renormShift is log2 of the factor scores are divided by when the event
// weight grows past 2^renormShift, which keeps scores finite forever.
const renormShift = 64

// table is a bounded, single-goroutine map from key to counters: the core
// that Aggregator wraps with a lock. Resident entries live in a
// golang-lru simplelru (recency order) and the top-k by decayed score in a
// set. The counts of keys that are evicted or never admitted move to other,
// so for every kind resident+other equals what the table observed.
type table struct {
	name     string
	capacity int
	lru      *simplelru.LRU[string, *entry] // recency order and eviction
	index    map[string]*entry              // the same entries, one lookup from the hot path
	door     *doorkeeper
	top      topSet
	seed     maphash.Seed

	resident  Counts
	other     Counts
	evictions uint64
	rejected  uint64

	// runHash and runLen describe the current run of consecutive refused
	// events for one key (see admit).
	runHash uint64
	runLen  int

	// evicted holds the entry evicted by the current observe, for the
	// aggregator to report after unlocking; nil when none was.
	evicted *entry
}

func newTable(name string, capacity, topK int) *table {
	// The LRU is sized one above capacity: eviction is table.evictOne's
	// decision (it protects hot keys), never a side effect of Add.
	lru, _ := simplelru.NewLRU[string, *entry](capacity+1, nil)
	return &table{
		name:     name,
		capacity: capacity,
		lru:      lru,
		index:    make(map[string]*entry, capacity),
		door:     newDoorkeeper(capacity),
		top:      topSet{k: topK, items: make([]*entry, 0, topK)},
		seed:     maphash.MakeSeed(),
	}
}

// observe folds ev under key. It allocates only when it admits a new key.
func (t *table) observe(key []byte, ev *es.Event, c *clock) {
	k := unsafeString(key)
	e, ok := t.index[k]
	switch {
	case !ok:
		if e = t.admit(key, c); e == nil {
			t.other[ev.Kind]++
			t.rejected++
			return
		}
	case e.last != c.now:
		// Recency is kept at the clock's resolution: a key moves to the
		// front of the LRU once per tick, not on every event, which spares
		// the hot path the list surgery and its cache misses.
		t.lru.Get(k)
		t.runHash = 0
	default:
		t.runHash = 0 // another key's event ends a run of refusals (see admit)
	}
	e.counts[ev.Kind]++
	t.resident[ev.Kind]++
	e.bytes += ev.Bytes
	e.last = c.now
	if e.pid != ev.PID {
		e.pid = ev.PID
		// Store only on a change: a string store is a pointer store, with
		// a write-barrier check, on every event otherwise.
		if e.signingID != unsafeString(ev.SigningID) {
			e.signingID = string(ev.SigningID)
		}
		if e.teamID != unsafeString(ev.TeamID) {
			e.teamID = string(ev.TeamID)
		}
	}
	if e.gen != c.gen {
		e.score = rescale(e.score, c.gen-e.gen)
		e.gen = c.gen
	}
	e.score += c.weight
	t.top.touched(e)
}

// admit makes room for key and returns its new entry, or nil when the table
// is full and the key has not proven itself.
//
// A full table admits a key on its second sighting (see doorkeeper), where
// a sighting is a run of consecutive events for the key: one file operation
// often arrives as several events back to back (fanotify merges a scanned
// file's create, writes, close and delete into one record, which a source
// reports as one event per kind), and that must not pass for a repeat. A run
// longer than admitRun admits the key by itself: a lone writer hammering a
// new file is hot whatever else happens.
func (t *table) admit(key []byte, c *clock) *entry {
	if t.lru.Len() >= t.capacity {
		h := maphash.Bytes(t.seed, key)
		if h == t.runHash {
			t.runLen++
			if t.runLen < admitRun {
				return nil
			}
		} else {
			t.runHash, t.runLen = h, 1
			if !t.door.seen(h) {
				return nil
			}
		}
		if !t.evictOne() {
			return nil
		}
	}
	t.runHash, t.runLen = 0, 0
	e := &entry{key: string(key), first: c.now, pid: -1, topIdx: -1, gen: c.gen}
	t.lru.Add(e.key, e)
	t.index[e.key] = e
	return e
}

// admitRun is the length of a run of consecutive events for one refused
// key that admits it without a second sighting.
const admitRun = 16

// evictOne evicts the least recently used entry that is not in the top-k
// set, moving its counts to other. Hot keys are not evicted: a member found
// at the old end is refreshed instead. When the table holds no more than k
// entries every entry may be a member; then the oldest goes anyway.
func (t *table) evictOne() bool {
	for tries := 0; ; tries++ {
		key, e, ok := t.lru.GetOldest()
		if !ok {
			return false
		}
		if e.topIdx >= 0 {
			if tries < t.top.k && t.lru.Len() > t.top.k {
				t.lru.Get(key) // refresh: a hot key keeps its place
				continue
			}
			t.top.remove(e)
		}
		t.lru.RemoveOldest()
		delete(t.index, key)
		for k, n := range e.counts {
			t.resident[k] -= n
			t.other[k] += n
		}
		t.evictions++
		t.evicted = e
		return true
	}
}

// renormalise shrinks the scores of top-set members to the clock's new
// generation; other entries are rescaled when next touched. Dividing every
// score by the same factor keeps their order, so the set stays valid.
func (t *table) renormalise(c *clock) {
	for _, e := range t.top.items {
		e.score = rescale(e.score, c.gen-e.gen)
		e.gen = c.gen
	}
	t.top.findMin()
}

// tableCopy is what a snapshot copies under the lock: counters and the
// top entries by value. Ranking and conversion happen after unlocking.
type tableCopy struct {
	ts  TableSnapshot
	top []entry
}

// copyOut copies the table's counters and top entries into dst, reusing
// dst.top's storage.
func (t *table) copyOut(dst *tableCopy) {
	dst.ts = TableSnapshot{
		Name:      t.name,
		Entries:   t.lru.Len(),
		Capacity:  t.capacity,
		Evictions: t.evictions,
		Rejected:  t.rejected,
		Resident:  t.resident,
		Other:     t.other,
	}
	dst.top = dst.top[:0]
	for _, e := range t.top.items {
		dst.top = append(dst.top, *e)
	}
}

// rank turns a copy into a TableSnapshot with its top entries ranked by
// rate, highest first.
func (tc *tableCopy) rank(c *clock, rateScale float64) TableSnapshot {
	s := tc.ts
	s.Top = make([]Entry, len(tc.top))
	for i := range tc.top {
		s.Top[i] = tc.top[i].export(c, rateScale)
	}
	slices.SortFunc(s.Top, func(x, y Entry) int {
		if c := cmp.Compare(y.Rate, x.Rate); c != 0 {
			return c
		}
		return strings.Compare(x.Key, y.Key)
	})
	return s
}

// export copies e for a snapshot. Its rate is the decayed event count at
// the clock's current time, converted to events per second.
func (e *entry) export(c *clock, rateScale float64) Entry {
	score := rescale(e.score, c.gen-e.gen)
	return Entry{
		Key:       e.key,
		PID:       e.pid,
		SigningID: e.signingID,
		TeamID:    e.teamID,
		Counts:    e.counts,
		Bytes:     e.bytes,
		First:     time.Unix(0, e.first),
		Last:      time.Unix(0, e.last),
		Rate:      score / c.weight * rateScale,
	}
}

func rescale(score float64, gens uint32) float64 {
	if gens == 0 {
		return score
	}
	if gens > 16 {
		return 0
	}
	return math.Ldexp(score, -renormShift*int(gens))
}

// unsafeString views b as a string for a map lookup that does not keep it.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
