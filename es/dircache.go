package es

// dirCache is a bounded map from a directory's identity (fsid and file
// handle bytes, as the fanotify source gets them) to its path. It evicts with
// the CLOCK algorithm: an approximation of LRU whose hit path only sets a
// bit. Lookups do not allocate; an insert (a cache miss, which already costs
// the source two system calls) allocates the map key and reuses the evicted
// entry's buffers once the cache is full.
//
// dirCache is not safe for concurrent use: the fanotify source owns it.
type dirCache struct {
	idx  map[string]int
	ents []dirEntry
	hand int
	max  int
}

type dirEntry struct {
	key  []byte
	path []byte
	ref  bool
}

// newDirCache returns an empty cache holding at most capacity entries (at
// least one).
func newDirCache(capacity int) *dirCache {
	capacity = max(capacity, 1)
	return &dirCache{idx: make(map[string]int, capacity), max: capacity}
}

// get returns the path cached for key, or false.
func (c *dirCache) get(key []byte) ([]byte, bool) {
	i, ok := c.idx[string(key)]
	if !ok {
		return nil, false
	}
	c.ents[i].ref = true
	return c.ents[i].path, true
}

// put caches a copy of path under a copy of key, evicting an entry if the
// cache is full, and returns the cached copy of path.
func (c *dirCache) put(key, path []byte) []byte {
	if i, ok := c.idx[string(key)]; ok {
		e := &c.ents[i]
		e.path = append(e.path[:0], path...)
		e.ref = true
		return e.path
	}
	var i int
	switch {
	case len(c.ents) < cap(c.ents) && len(c.ents) < c.max:
		c.ents = c.ents[:len(c.ents)+1] // reuse buffers kept by clear
		i = len(c.ents) - 1
	case len(c.ents) < c.max:
		c.ents = append(c.ents, dirEntry{})
		i = len(c.ents) - 1
	default:
		i = c.victim()
		delete(c.idx, string(c.ents[i].key))
	}
	e := &c.ents[i]
	e.key = append(e.key[:0], key...)
	e.path = append(e.path[:0], path...)
	e.ref = false
	c.idx[string(e.key)] = i
	return e.path
}

// victim advances the clock hand to an entry not referenced since the hand
// last passed it.
func (c *dirCache) victim() int {
	for {
		i := c.hand
		c.hand = (c.hand + 1) % len(c.ents)
		if !c.ents[i].ref {
			return i
		}
		c.ents[i].ref = false
	}
}

// clear forgets every entry (a directory was renamed, so cached paths below
// it are wrong), keeping the buffers for reuse.
func (c *dirCache) clear() {
	clear(c.idx)
	c.ents = c.ents[:0]
	c.hand = 0
}

// len returns the number of cached entries.
func (c *dirCache) len() int { return len(c.ents) }
