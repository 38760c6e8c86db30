package es

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Synthetic is a deterministic event generator, used for demos, benchmarks,
// attack tests and, until a kernel source is available, as the daemon's
// source. Its profiles are described at [ProfileSteady], [ProfileFlood] and
// [ProfileScan].
//
// Every key (executable, path) is precomputed, and the scan profile writes
// its never-seen paths into one reused buffer, so generating an event does
// not allocate. A Synthetic is not safe for concurrent use: call Run, Next
// or Generate from one goroutine at a time. Stats is safe to call from any
// goroutine.
type Synthetic struct {
	cfg   SyntheticConfig
	stats *Stats
	rng   *rand.Rand
	ev    Event
	seq   uint64 // events generated so far; the last event's Seq

	// steady
	procs    []synthProc
	paths    [][]byte
	procZipf zipfTable
	pathZipf zipfTable

	// flood writers, and the scan profile's heavy writers
	writers []synthWriter

	// scan
	scanner       synthProc
	scanBuf       []byte // prefix followed by scanHexDigits hex digits
	scanPrefix    int
	scanMix       uint64 // seed-derived mask that makes scan paths differ per seed
	scanCount     uint64
	heavyAll      bool
	heavyBelow    uint64 // a random uint64 below this picks a heavy writer
	writerBytes   uint64 // Bytes of a flood write
	steadyKinds   *[kindSlots]Kind
	floodKinds    *[kindSlots]Kind
	scanKinds     *[kindSlots]Kind
	steadyWriteSz [8]uint64
}

// synthProc is one generated process identity.
type synthProc struct {
	pid       int32
	hotPath   int // steady: the path this process writes most; its ranks start there
	exe       []byte
	signingID []byte
	teamID    []byte
}

// synthWriter is a process writing a file of its own.
type synthWriter struct {
	synthProc
	path []byte
}

// kindSlots is the resolution of the kind mixes: a kind is drawn by indexing
// a table of this many slots with random bits.
const (
	kindSlotBits = 10
	kindSlots    = 1 << kindSlotBits
)

// Kind mixes, in slots out of kindSlots, indexed by Kind.
var (
	// Ordinary applications: mostly writes, each file eventually closed;
	// some churn of creates, renames (atomic saves), unlinks and truncates.
	steadyMix = [NumKinds]int{KindWrite: 820, KindCloseModified: 100, KindCreate: 40, KindRename: 20, KindUnlink: 22, KindTruncate: 22}
	// A write loop: nearly all writes.
	floodMix = [NumKinds]int{KindWrite: 1014, KindCloseModified: 6, KindTruncate: 4}
	// A scanner touching new files: creates and writes, a few closes and
	// deletes.
	scanMix = [NumKinds]int{KindWrite: 600, KindCloseModified: 64, KindCreate: 320, KindUnlink: 40}
)

// kindTable expands a mix into a lookup table.
func kindTable(mix [NumKinds]int) *[kindSlots]Kind {
	var t [kindSlots]Kind
	i := 0
	for k, n := range mix {
		for range n {
			t[i] = Kind(k)
			i++
		}
	}
	if i != kindSlots {
		panic(fmt.Sprintf("es: kind mix sums to %d, want %d", i, kindSlots)) // a programming error in the tables above
	}
	return &t
}

// zipfSkew is the exponent of the steady profile's Zipf distributions.
const zipfSkew = 1.1

// zipfTable draws ranks 0..n-1 with P(k) proportional to (k+1)^-s in
// constant time, with Vose's alias method: a few nanoseconds, where
// math/rand's Zipf computes logarithms and powers per draw and a binary
// search of the distribution mispredicts a branch per step.
type zipfTable struct {
	n     uint64
	keep  []uint32 // column i draws i when the low 32 random bits are below keep[i]...
	alias []int32  // ...and alias[i] otherwise
}

func newZipfTable(n int, s float64) zipfTable {
	p := make([]float64, n)
	total := 0.0
	for k := range p {
		p[k] = math.Pow(float64(k+1), -s)
		total += p[k]
	}
	z := zipfTable{n: uint64(n), keep: make([]uint32, n), alias: make([]int32, n)}
	var small, large []int
	for k := range p {
		p[k] *= float64(n) / total
		z.alias[k] = int32(k)
		if p[k] < 1 {
			small = append(small, k)
		} else {
			large = append(large, k)
		}
	}
	for len(small) > 0 && len(large) > 0 {
		l, g := small[len(small)-1], large[len(large)-1]
		small, large = small[:len(small)-1], large[:len(large)-1]
		z.keep[l], z.alias[l] = uint32(p[l]*0x1p32), int32(g)
		p[g] += p[l] - 1
		if p[g] < 1 {
			small = append(small, g)
		} else {
			large = append(large, g)
		}
	}
	// What is left has probability 1 up to rounding: always keep.
	for _, k := range append(small, large...) {
		z.keep[k], z.alias[k] = math.MaxUint32, int32(k)
	}
	return z
}

// draw returns the rank that the uniform number r selects: its high half
// picks a column, its low half chooses between the column and its alias.
func (z zipfTable) draw(r uint64) int {
	i := (r >> 32) * z.n >> 32
	if uint32(r) < z.keep[i] {
		return int(i)
	}
	return int(z.alias[i])
}

const scanHexDigits = 16

// NewSynthetic returns a synthetic source for cfg, or an error naming the
// first invalid field.
func NewSynthetic(cfg SyntheticConfig) (*Synthetic, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Synthetic{
		cfg:           cfg,
		stats:         NewStats("synthetic"),
		rng:           rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		steadyKinds:   kindTable(steadyMix),
		floodKinds:    kindTable(floodMix),
		scanKinds:     kindTable(scanMix),
		steadyWriteSz: [8]uint64{512, 1024, 4096, 4096, 4096, 8192, 16384, 65536},
		writerBytes:   1,
	}
	switch cfg.Profile {
	case ProfileSteady:
		s.procs = make([]synthProc, cfg.Processes)
		for i := range s.procs {
			name := fmt.Sprintf("app-%04d", i)
			s.procs[i] = synthProc{
				pid:       int32(1000 + i),
				hotPath:   i * 31 % cfg.Paths,
				exe:       []byte("/opt/synthetic/bin/" + name),
				signingID: []byte("com.example.synthetic." + name),
				teamID:    []byte("SYNTHETIC1"),
			}
		}
		s.paths = make([][]byte, cfg.Paths)
		for i := range s.paths {
			s.paths[i] = fmt.Appendf(nil, "/var/lib/synthetic/d%02d/file-%06d.dat", i%64, i)
		}
		s.procZipf = newZipfTable(cfg.Processes, zipfSkew)
		s.pathZipf = newZipfTable(cfg.Paths, zipfSkew)
	case ProfileFlood:
		s.writers = makeWriters(cfg.Writers, "/tmp/.flood/writer-%02d", "/tmp/.flood/target-%02d")
	case ProfileScan:
		s.writers = makeWriters(cfg.Writers, "/usr/bin/heavy-writer-%02d", "/var/log/heavy-%02d.log")
		s.scanner = synthProc{pid: 31337, exe: []byte("/tmp/.scan/scanner")}
		s.scanBuf = []byte("/tmp/.scan/files/")
		s.scanPrefix = len(s.scanBuf)
		s.scanBuf = append(s.scanBuf, make([]byte, scanHexDigits)...)
		s.scanMix = cfg.Seed * 0xbf58476d1ce4e5b9
		if cfg.HeavyShare >= 1 {
			s.heavyAll = true
		} else {
			s.heavyBelow = uint64(cfg.HeavyShare * math.Exp2(64))
		}
	}
	return s, nil
}

func makeWriters(n int, exeFormat, pathFormat string) []synthWriter {
	w := make([]synthWriter, n)
	for i := range w {
		w[i] = synthWriter{
			synthProc: synthProc{pid: int32(20000 + i), exe: fmt.Appendf(nil, exeFormat, i)},
			path:      fmt.Appendf(nil, pathFormat, i),
		}
	}
	return w
}

// Config returns the configuration with defaults applied.
func (s *Synthetic) Config() SyntheticConfig { return s.cfg }

// Stats returns the source's loss ledger. A synthetic source loses nothing;
// it is up while Run runs.
func (s *Synthetic) Stats() *Stats { return s.stats }

// Next generates the next event of the stream. The event and its byte
// slices are valid until the following call. Next ignores Config().Events,
// which limits only Run.
func (s *Synthetic) Next() *Event {
	s.seq++
	ev := &s.ev
	ev.Seq = s.seq
	switch s.cfg.Profile {
	case ProfileSteady:
		s.steady(ev)
	case ProfileFlood:
		r := s.rng.Uint64()
		ev.Kind = s.floodKinds[r&(kindSlots-1)]
		s.write(ev, &s.writers[(r>>kindSlotBits)%uint64(len(s.writers))], s.writerBytes)
	case ProfileScan:
		s.scan(ev)
	}
	return ev
}

func (s *Synthetic) steady(ev *Event) {
	r := s.rng.Uint64()
	ev.Kind = s.steadyKinds[r&(kindSlots-1)]
	p := &s.procs[s.procZipf.draw(s.rng.Uint64())]
	// Each process has hot files of its own: its ranks are a rotation of the
	// path list.
	path := s.pathZipf.draw(s.rng.Uint64()) + p.hotPath
	if path >= len(s.paths) {
		path -= len(s.paths)
	}
	ev.PID, ev.Executable, ev.SigningID, ev.TeamID = p.pid, p.exe, p.signingID, p.teamID
	ev.Path = s.paths[path]
	ev.Bytes = 0
	if ev.Kind == KindWrite {
		ev.Bytes = s.steadyWriteSz[(r>>kindSlotBits)&7]
	}
}

func (s *Synthetic) scan(ev *Event) {
	r := s.rng.Uint64()
	if s.heavyAll || r < s.heavyBelow {
		r = s.rng.Uint64()
		ev.Kind = s.steadyKinds[r&(kindSlots-1)]
		s.write(ev, &s.writers[(r>>kindSlotBits)%uint64(len(s.writers))], s.steadyWriteSz[(r>>(kindSlotBits+32))&7])
		return
	}
	ev.Kind = s.scanKinds[r&(kindSlots-1)]
	s.scanCount++
	// Multiplying by an odd constant and xoring a constant are bijections,
	// so distinct counts give distinct names.
	x := s.scanCount*0x94d049bb133111eb ^ s.scanMix
	const hexDigits = "0123456789abcdef"
	b := s.scanBuf[s.scanPrefix:]
	for i := scanHexDigits - 1; i >= 0; i-- {
		b[i] = hexDigits[x&15]
		x >>= 4
	}
	ev.PID, ev.Executable, ev.SigningID, ev.TeamID = s.scanner.pid, s.scanner.exe, nil, nil
	ev.Path = s.scanBuf
	ev.Bytes = 0
	if ev.Kind == KindWrite {
		ev.Bytes = 4096
	}
}

// write fills ev for a writer; Bytes only when ev is a write.
func (s *Synthetic) write(ev *Event, w *synthWriter, bytes uint64) {
	ev.PID, ev.Executable, ev.SigningID, ev.TeamID = w.pid, w.exe, nil, nil
	ev.Path = w.path
	ev.Bytes = 0
	if ev.Kind == KindWrite {
		ev.Bytes = bytes
	}
}

// Generate calls fn with each of the next n events of the stream, as Next
// would return them; fn must not keep the event after it returns. It lets
// tests and benchmarks fold exactly the stream the daemon would, without a
// context or pacing: g.Generate(n, agg.Observe).
func (s *Synthetic) Generate(n int, fn func(*Event)) {
	for range n {
		fn(s.Next())
	}
}

// Run delivers events to sink until ctx is done, paced at Config().Rate. With
// Config().Events set it stops after that many events in all (counting any
// generated before by Next or Generate) and then waits for ctx. It returns
// nil when ctx is done: a synthetic source has no fatal errors.
func (s *Synthetic) Run(ctx context.Context, sink Sink) error {
	s.stats.SetUp(true)
	defer s.stats.SetUp(false)

	rate := s.cfg.Rate
	size := uint64(1024)
	if rate > 0 {
		// About 100 batches a second; at least one event per batch.
		size = uint64(min(max(rate/100, 1), 1<<16))
	}
	batch := BatcherOf(sink)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()

	start, paced := time.Now(), uint64(0)
	for {
		if ctx.Err() != nil {
			return nil
		}
		n := size
		if s.cfg.Events > 0 {
			if s.seq >= s.cfg.Events {
				<-ctx.Done()
				return nil
			}
			n = min(n, s.cfg.Events-s.seq)
		}
		batch.BeginBatch()
		for range n {
			sink.Observe(s.Next())
		}
		batch.EndBatch()
		if rate <= 0 {
			continue
		}
		paced += n
		due := start.Add(time.Duration(float64(paced) / rate * float64(time.Second)))
		wait := time.Until(due)
		if wait < -time.Second {
			// The sink fell more than a second behind: start a new schedule
			// rather than bursting to catch up.
			start, paced = time.Now(), 0
			continue
		}
		if wait <= 0 {
			continue
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
	}
}
