package es

import (
	"fmt"
	"math"
)

// The synthetic source's profiles, the values of [SyntheticConfig.Profile].
const (
	// ProfileSteady is ordinary load: Processes processes write Paths files,
	// both chosen from Zipf distributions, so a few processes and files
	// carry most of the activity.
	ProfileSteady = "steady"
	// ProfileFlood is the write-flood attack: Writers processes each write
	// one byte at a time to a file of their own, as fast as they can.
	ProfileFlood = "flood"
	// ProfileScan is the cache-flushing attack: every event names a file
	// never seen before, mixed with Writers heavy writers (HeavyShare of the
	// events) whose counts a bounded table must keep exact.
	ProfileScan = "scan"
)

// SyntheticProfiles lists the profile names, in the order they are
// documented.
var SyntheticProfiles = []string{ProfileSteady, ProfileFlood, ProfileScan}

// Defaults for the zero fields of [SyntheticConfig].
const (
	DefaultSyntheticProcesses  = 64
	DefaultSyntheticPaths      = 4096
	DefaultSyntheticWriters    = 4
	DefaultSyntheticHeavyShare = 0.1
)

// maxSyntheticKeys bounds Processes, Paths and Writers: their keys are
// precomputed, so the bound is a memory bound.
const maxSyntheticKeys = 1 << 22

// SyntheticConfig configures a [Synthetic] source. The zero value of every
// field but Profile selects its default; Profile "" means steady.
type SyntheticConfig struct {
	// Profile is one of [SyntheticProfiles].
	Profile string
	// Rate is the target number of events per second; 0 generates as fast
	// as the sink accepts them. The source paces itself in batches of about
	// 10 ms, never with a sleep per event.
	Rate float64
	// Events, when positive, stops generation after exactly that many
	// events; Run then idles until its context is done, so that a daemon
	// running the source can still be scraped. 0 means no limit.
	Events uint64
	// Seed selects the stream: two sources with equal configurations
	// generate identical streams.
	Seed uint64

	// Processes is the number of processes of the steady profile.
	Processes int
	// Paths is the number of files of the steady profile.
	Paths int
	// Writers is the number of writers of the flood profile, and the number
	// of heavy writers mixed into the scan profile.
	Writers int
	// HeavyShare is the fraction of the scan profile's events that come from
	// its heavy writers, in (0, 1]; 0 selects 0.1.
	HeavyShare float64
}

// withDefaults returns c with its zero fields set to their defaults, or an
// error naming the first invalid field.
func (c SyntheticConfig) withDefaults() (SyntheticConfig, error) {
	if c.Profile == "" {
		c.Profile = ProfileSteady
	}
	switch c.Profile {
	case ProfileSteady, ProfileFlood, ProfileScan:
	default:
		return c, fmt.Errorf("unknown synthetic profile %q (want steady, flood or scan)", c.Profile)
	}
	if c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) {
		return c, fmt.Errorf("synthetic rate %v: must be a finite number >= 0", c.Rate)
	}
	for _, k := range []struct {
		name string
		v    *int
		def  int
	}{
		{"processes", &c.Processes, DefaultSyntheticProcesses},
		{"paths", &c.Paths, DefaultSyntheticPaths},
		{"writers", &c.Writers, DefaultSyntheticWriters},
	} {
		switch {
		case *k.v == 0:
			*k.v = k.def
		case *k.v < 0 || *k.v > maxSyntheticKeys:
			return c, fmt.Errorf("synthetic %s %d: must be between 1 and %d", k.name, *k.v, maxSyntheticKeys)
		}
	}
	if c.HeavyShare == 0 {
		c.HeavyShare = DefaultSyntheticHeavyShare
	}
	if !(c.HeavyShare > 0 && c.HeavyShare <= 1) {
		return c, fmt.Errorf("synthetic heavy share %v: must be in (0, 1]", c.HeavyShare)
	}
	return c, nil
}
