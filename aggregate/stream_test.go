package aggregate

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/estally/estally/es"
)

// stream produces reproducible event streams shaped like the synthetic
// source's profiles, with precomputed keys so that generating an event costs
// no allocation (the fold benchmarks depend on that).
type stream struct {
	rng      *rand.Rand
	procs    [][]byte
	paths    [][]byte
	zipfP    *rand.Zipf
	zipfF    *rand.Zipf
	profile  string
	heavy    int // scan: number of heavy writers (process i writes path i)
	heavyPct int // scan: share of events from heavy writers, in percent
	scanBuf  []byte
	scanN    uint64
	ev       es.Event
}

func newStream(profile string, seed uint64, nProcs, nPaths int) *stream {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s := &stream{rng: rng, profile: profile, heavy: 4, heavyPct: 10}
	for i := range nProcs {
		s.procs = append(s.procs, fmt.Appendf(nil, "/usr/bin/proc-%d", i))
	}
	for i := range nPaths {
		s.paths = append(s.paths, fmt.Appendf(nil, "/var/data/dir-%d/file-%d.log", i%97, i))
	}
	if nProcs > 1 {
		s.zipfP = rand.NewZipf(rng, 1.2, 1, uint64(nProcs-1))
	}
	if nPaths > 1 {
		s.zipfF = rand.NewZipf(rng, 1.1, 1, uint64(nPaths-1))
	}
	return s
}

func (s *stream) pick(z *rand.Zipf, keys [][]byte) []byte {
	if z == nil {
		return keys[0]
	}
	return keys[z.Uint64()]
}

// next returns the next event; it is valid until the following call.
func (s *stream) next() *es.Event {
	ev := &s.ev
	r := s.rng.Uint32N(100)
	switch {
	case r < 70:
		ev.Kind = es.KindWrite
	case r < 85:
		ev.Kind = es.KindCloseModified
	default:
		ev.Kind = es.Kind(2 + r%4) // create, rename, unlink, truncate
	}
	ev.Bytes = uint64(r) * 16
	switch s.profile {
	case "steady":
		i := s.pick(s.zipfP, s.procs)
		ev.Executable, ev.Path = i, s.pick(s.zipfF, s.paths)
		ev.PID = int32(len(i))
	case "flood":
		i := s.rng.IntN(min(len(s.procs), len(s.paths)))
		ev.Executable, ev.Path, ev.PID = s.procs[i], s.paths[i], int32(1000+i)
	case "scan":
		if int(r) < s.heavyPct {
			i := s.rng.IntN(s.heavy)
			ev.Executable, ev.Path, ev.PID = s.procs[i], s.paths[i], int32(1000+i)
			return ev
		}
		s.scanN++
		s.scanBuf = strconv.AppendUint(append(s.scanBuf[:0], "/tmp/scan/"...), s.scanN, 16)
		ev.Executable, ev.Path, ev.PID = s.procs[len(s.procs)-1], s.scanBuf, 666
	default:
		panic("unknown profile " + s.profile)
	}
	return ev
}
