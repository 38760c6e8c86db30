package agent

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strings"

	"github.com/estally/estally/es"
)

// defaultSyntheticRate is the synthetic source's default pace: lively on a
// dashboard, cheap on a laptop.
const defaultSyntheticRate = 10000

// syntheticSource offers es.Synthetic as --source=synthetic. It is never
// chosen by --source=auto except as its fallback. The mute settings do not
// apply to it: it generates no events of real processes.
func syntheticSource() sourceFactory {
	cfg := es.SyntheticConfig{
		Profile:    es.ProfileSteady,
		Rate:       defaultSyntheticRate,
		Seed:       1,
		Processes:  es.DefaultSyntheticProcesses,
		Paths:      es.DefaultSyntheticPaths,
		Writers:    es.DefaultSyntheticWriters,
		HeavyShare: es.DefaultSyntheticHeavyShare,
	}
	return sourceFactory{
		name:  "synthetic",
		usage: "deterministic generated events (profiles steady, flood, scan), for demos, tests and benchmarks",
		addFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&cfg.Profile, "synthetic.profile", cfg.Profile,
				"synthetic load: "+strings.Join(es.SyntheticProfiles, ", ")+
					" (Zipf-distributed writes; one-byte write flood; path-scan attack with heavy writers)")
			check(fs, "synthetic.profile", func() error {
				for _, p := range es.SyntheticProfiles {
					if cfg.Profile == p {
						return nil
					}
				}
				return fmt.Errorf("want one of %s", strings.Join(es.SyntheticProfiles, ", "))
			})
			fs.Float64Var(&cfg.Rate, "synthetic.rate", cfg.Rate, "events per second; 0 generates as fast as the fold takes them")
			check(fs, "synthetic.rate", func() error {
				if cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0) {
					return errors.New("must be a finite number >= 0")
				}
				return nil
			})
			fs.Uint64Var(&cfg.Events, "synthetic.events", 0, "stop after exactly this many events and keep serving; 0 means no limit")
			fs.Uint64Var(&cfg.Seed, "synthetic.seed", cfg.Seed, "seed of the generator: equal seeds generate equal streams")
			fs.IntVar(&cfg.Processes, "synthetic.processes", cfg.Processes, "processes of the steady profile")
			check(fs, "synthetic.processes", positive(&cfg.Processes))
			fs.IntVar(&cfg.Paths, "synthetic.paths", cfg.Paths, "files of the steady profile")
			check(fs, "synthetic.paths", positive(&cfg.Paths))
			fs.IntVar(&cfg.Writers, "synthetic.writers", cfg.Writers, "writers of the flood profile; heavy writers of the scan profile")
			check(fs, "synthetic.writers", positive(&cfg.Writers))
			fs.Float64Var(&cfg.HeavyShare, "synthetic.heavy-share", cfg.HeavyShare, "share of the scan profile's events written by its heavy writers, in (0, 1]")
			check(fs, "synthetic.heavy-share", func() error {
				if !(cfg.HeavyShare > 0 && cfg.HeavyShare <= 1) {
					return errors.New("must be in (0, 1]")
				}
				return nil
			})
		},
		open: func(env sourceEnv) (source, error) {
			s, err := es.NewSynthetic(cfg)
			if err != nil {
				return nil, err
			}
			c := s.Config()
			env.logger.Info("synthetic source", "profile", c.Profile, "rate", c.Rate, "events", c.Events, "seed", c.Seed)
			return s, nil
		},
	}
}
