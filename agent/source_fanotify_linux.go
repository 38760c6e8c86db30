package agent

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/estally/estally/es"
)

// fanotifySource offers es.Fanotify as --source=fanotify: the whole machine's
// file writes on Linux. --source=auto chooses it when the process has
// CAP_SYS_ADMIN.
func fanotifySource() sourceFactory {
	cfg := es.FanotifyConfig{
		ReadInterval: es.DefaultFanotifyReadInterval,
		BufferSize:   es.DefaultFanotifyBufferSize,
		Report:       es.FanotifyReportAuto,
	}
	include, exclude := newListValue(), newListValue()
	excludeFS := newListValue(es.DefaultExcludeFSTypes...)
	return sourceFactory{
		name:  "fanotify",
		usage: "Linux fanotify: writes, creates, renames and deletes on every local filesystem (needs CAP_SYS_ADMIN)",
		addFlags: func(fs *flag.FlagSet) {
			fs.DurationVar(&cfg.ReadInterval, "fanotify.read-interval", cfg.ReadInterval,
				"how long events queue (and the kernel merges them) between reads; shorter costs more CPU under load")
			check(fs, "fanotify.read-interval", func() error {
				if cfg.ReadInterval < time.Millisecond || cfg.ReadInterval > 10*time.Second {
					return errors.New("must be between 1ms and 10s")
				}
				return nil
			})
			fs.IntVar(&cfg.BufferSize, "fanotify.buffer-size", cfg.BufferSize, "read buffer size in bytes (at least 65536)")
			check(fs, "fanotify.buffer-size", func() error {
				if cfg.BufferSize < 64<<10 || cfg.BufferSize > 64<<20 {
					return errors.New("must be between 65536 and 67108864")
				}
				return nil
			})
			fs.StringVar(&cfg.Report, "fanotify.report", cfg.Report,
				"event format: auto (fid where the kernel and the filesystem allow it, fd elsewhere), fid (paths from directory handles and names, Linux 5.9+), fd (an open file per event; writes and close-writes only)")
			check(fs, "fanotify.report", func() error {
				switch cfg.Report {
				case es.FanotifyReportAuto, es.FanotifyReportFID, es.FanotifyReportFD:
					return nil
				}
				return fmt.Errorf("want one of %s, %s, %s", es.FanotifyReportAuto, es.FanotifyReportFID, es.FanotifyReportFD)
			})
			fs.Var(include, "fanotify.include-mount", "watch only the filesystems mounted here; repeatable (default: every local filesystem)")
			fs.Var(exclude, "fanotify.exclude-mount", "do not watch the filesystem mounted here; repeatable")
			fs.Var(excludeFS, "fanotify.exclude-fstype", "do not watch filesystems of this type; repeatable; setting it replaces the default list of network filesystems")
		},
		open: func(env sourceEnv) (source, error) {
			c := cfg
			c.Logger = env.logger
			c.Mounts = &es.MountFilter{IncludeMounts: include.values, ExcludeMounts: exclude.values, ExcludeFSTypes: excludeFS.values}
			c.Mute = es.MuteConfig{
				PIDs:         []int32{int32(env.pid)},
				Executables:  env.mute.executables,
				PathPrefixes: env.mute.pathPrefixes,
			}
			return es.NewFanotify(c)
		},
		probe: es.FanotifyProbe,
	}
}
