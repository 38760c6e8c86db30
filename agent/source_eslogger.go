package agent

import (
	"errors"
	"flag"
	"runtime"

	"github.com/estally/estally/es"
)

// esloggerSource offers es.Eslogger as --source=eslogger: Apple's eslogger
// JSON Lines (macOS 13+, root and Full Disk Access), spawned by the agent or
// read from standard input or a file (which works on any platform, e.g. to
// replay a capture). On darwin, --source=auto tries it after the native
// Endpoint Security client.
func esloggerSource() sourceFactory {
	cfg := es.EsloggerConfig{
		Input:   es.EsloggerInputExec,
		Path:    es.DefaultEsloggerPath,
		MaxLine: es.DefaultEsloggerMaxLine,
	}
	f := sourceFactory{
		name:  "eslogger",
		usage: "macOS eslogger JSON Lines: spawned (needs root and Full Disk Access, no entitlement), or from stdin or a file",
		addFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&cfg.Input, "eslogger.input", cfg.Input,
				`where the lines come from: "exec" spawns --eslogger.path in the agent's process group (eslogger then `+
					`suppresses the agent's own events), "-" reads standard input, anything else is a file name`)
			check(fs, "eslogger.input", func() error {
				if cfg.Input == "" {
					return errors.New(`want "exec", "-" or a file name`)
				}
				return nil
			})
			fs.StringVar(&cfg.Path, "eslogger.path", cfg.Path, "the eslogger binary spawned by --eslogger.input=exec")
			fs.IntVar(&cfg.MaxLine, "eslogger.max-line-bytes", cfg.MaxLine, "longer lines are discarded and counted (at least 4096)")
			check(fs, "eslogger.max-line-bytes", func() error {
				if cfg.MaxLine < 4096 || cfg.MaxLine > 64<<20 {
					return errors.New("must be between 4096 and 67108864")
				}
				return nil
			})
		},
		open: func(env sourceEnv) (source, error) {
			c := cfg
			c.Logger = env.logger
			c.Mute = es.MuteConfig{
				PIDs:         []int32{int32(env.pid)},
				Executables:  env.mute.executables,
				PathPrefixes: env.mute.pathPrefixes,
			}
			return es.NewEslogger(c)
		},
	}
	if runtime.GOOS == "darwin" {
		// auto spawns eslogger, the default input.
		f.probe = func() error {
			if cfg.Input != es.EsloggerInputExec {
				return nil
			}
			return es.ProbeEslogger(cfg.Path)
		}
	}
	return f
}
