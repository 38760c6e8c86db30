package es

import (
	"fmt"
	"testing"
)

func TestDirCache(t *testing.T) {
	c := newDirCache(3)
	for i := range 3 {
		c.put(fmt.Appendf(nil, "k%d", i), fmt.Appendf(nil, "/d%d", i))
	}
	if p, ok := c.get([]byte("k1")); !ok || string(p) != "/d1" {
		t.Fatalf("get k1 = %q %v", p, ok)
	}
	// k0 and k2 are unreferenced; the clock evicts k0 first, then k2.
	c.put([]byte("k3"), []byte("/d3"))
	if _, ok := c.get([]byte("k0")); ok {
		t.Error("k0 not evicted")
	}
	for _, k := range []string{"k1", "k2", "k3"} {
		if _, ok := c.get([]byte(k)); !ok {
			t.Errorf("%s evicted", k)
		}
	}
	if c.len() != 3 {
		t.Errorf("len = %d", c.len())
	}
	c.put([]byte("k2"), []byte("/renamed"))
	if p, _ := c.get([]byte("k2")); string(p) != "/renamed" {
		t.Errorf("update: %q", p)
	}
	c.clear()
	if _, ok := c.get([]byte("k1")); ok || c.len() != 0 {
		t.Error("clear kept entries")
	}
	c.put([]byte("k9"), []byte("/d9"))
	if p, ok := c.get([]byte("k9")); !ok || string(p) != "/d9" {
		t.Errorf("after clear: %q %v", p, ok)
	}
}

func TestDirCacheBounded(t *testing.T) {
	c := newDirCache(64)
	for i := range 10000 {
		c.put(fmt.Appendf(nil, "key-%d", i), []byte("/some/dir"))
	}
	if c.len() != 64 || len(c.idx) != 64 {
		t.Errorf("len %d, index %d, want 64", c.len(), len(c.idx))
	}
	key := []byte("key-9999")
	if n := testing.AllocsPerRun(100, func() { c.get(key) }); n != 0 {
		t.Errorf("get allocates %v", n)
	}
}
