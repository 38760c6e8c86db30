package agent

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"github.com/estally/estally/es"
)

// source is what the agent needs from an event source. Run blocks until ctx
// is done (then it returns nil, or ctx's error) or until a fatal error; it
// calls sink.Observe synchronously for each event and keeps Stats().SetUp
// current. Stats is read concurrently by the exporter.
type source interface {
	Run(ctx context.Context, sink es.Sink) error
	Stats() *es.Stats
}

// sourceFactory offers a source to the command line. Factory values are
// built fresh by the functions in the sources*.go lists, so the flag values
// that addFlags binds live in the factory's closures.
type sourceFactory struct {
	// name is the --source value selecting the factory; it is also the
	// prefix of its flags (--synthetic.profile, ...).
	name string
	// usage is one line for --help.
	usage string
	// addFlags registers the source's own flags, named "<name>.<flag>".
	// Flag values are validated in their Set methods, so that a bad value is
	// a usage error (exit code 2).
	addFlags func(fs *flag.FlagSet)
	// open builds the source from its flags. An error is fatal (exit code 1).
	open func(env sourceEnv) (source, error)
	// probe reports whether the source can run on this machine, for
	// --source=auto: nil if it can, else why not. A factory with a nil probe
	// is never chosen by auto.
	probe func() error
}

// sourceEnv is what the agent hands every source it opens.
type sourceEnv struct {
	logger *slog.Logger // already carries source=<name>
	// pid is the agent's own process id: a source must not report (or
	// should mute at the kernel) events of this process.
	pid  int
	mute muteConfig
}

// muteConfig is the self-filter a source applies before the fold, counting
// what it drops in Stats().Muted.
type muteConfig struct {
	// executables are executable paths whose events are muted.
	executables []string
	// pathPrefixes are target path prefixes whose events are muted.
	pathPrefixes []string
}

// autoSource is the --source value that picks a source for this machine.
const autoSource = "auto"

// fallbackSource is the source auto falls back to on a platform that has
// no kernel source in this build.
const fallbackSource = "synthetic"

// findSource returns the factory named name.
func findSource(factories []sourceFactory, name string) (sourceFactory, bool) {
	for _, f := range factories {
		if f.name == name {
			return f, true
		}
	}
	return sourceFactory{}, false
}

// sourceNames lists the valid --source values.
func sourceNames(factories []sourceFactory) string {
	names := []string{autoSource}
	for _, f := range factories {
		names = append(names, f.name)
	}
	return strings.Join(names, ", ")
}

// chooseAuto picks the source for --source=auto: the first factory whose
// probe succeeds, in list order (platform sources first). When factories
// have probes but none succeeds, it fails with every probe's reason and a
// hint, rather than silently showing generated events on a machine the user
// meant to watch. Only where no factory has a probe (no kernel source in
// this build for this platform) does it fall back to the synthetic source,
// with a logged note.
func chooseAuto(factories []sourceFactory, logger *slog.Logger) (sourceFactory, error) {
	var why []string
	for _, f := range factories {
		if f.probe == nil {
			continue
		}
		err := f.probe()
		if err == nil {
			return f, nil
		}
		why = append(why, fmt.Sprintf("%s: %v", f.name, err))
	}
	if len(why) > 0 {
		return sourceFactory{}, fmt.Errorf("no event source can run here (%s); to watch generated events instead, run with --source=%s",
			strings.Join(why, "; "), fallbackSource)
	}
	f, ok := findSource(factories, fallbackSource)
	if !ok {
		return sourceFactory{}, errors.New("no event source in this build")
	}
	logger.Warn("no kernel event source in this build for this platform; folding generated events instead (see --source)", "source", f.name)
	return f, nil
}
