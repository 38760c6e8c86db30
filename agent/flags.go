package agent

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/prometheus/common/promslog"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/estally/estally/exporter"
)

// Defaults of `estally run`.
const (
	// defaultListenAddress is loopback: label values are file paths, which
	// are sensitive. Fleet scrapes pass --web.listen-address=:8791 (with a
	// --web.config.file for TLS and basic auth).
	defaultListenAddress   = "127.0.0.1:8791"
	defaultProcessCapacity = 4096
	defaultPathCapacity    = 16384
	defaultRankHalfLife    = 5 * time.Second
)

// runConfig is the parsed configuration of `estally run`.
type runConfig struct {
	source  string          // a factory name or autoSource
	sources []sourceFactory // the factories whose flags were registered

	processCapacity int
	pathCapacity    int
	rankHalfLife    time.Duration

	topK          int
	seriesBudget  int
	labelMaxBytes int

	listenAddresses []string
	webConfigFile   string
	telemetryPath   string

	logLevel  *promslog.Level
	logFormat *promslog.Format

	mute muteConfig

	extensions []extension
}

// errHelp is returned by parseRunFlags when --help was asked for; the usage
// has been written to stdout.
var errHelp = errors.New("help requested")

// parseRunFlags parses the arguments of `estally run`. A usage error is
// returned as one line, without the command name; --help writes the usage to
// stdout and returns errHelp.
func parseRunFlags(args []string, stdout io.Writer) (*runConfig, error) {
	cfg := &runConfig{
		sources:    sourceFactories(),
		extensions: extensions(),
		logLevel:   promslog.NewLevel(),
		logFormat:  promslog.NewFormat(),
	}
	_ = cfg.logFormat.Set("logfmt")

	fs := flag.NewFlagSet("estally run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)

	fs.StringVar(&cfg.source, "source", autoSource, "event source: "+sourceNames(cfg.sources)+
		"\n(auto: the first kernel source that can run here; synthetic where this build has none)")
	check(fs, "source", func() error {
		if cfg.source == autoSource {
			return nil
		}
		if _, ok := findSource(cfg.sources, cfg.source); !ok {
			return fmt.Errorf("unknown source (want %s)", sourceNames(cfg.sources))
		}
		return nil
	})
	for _, f := range cfg.sources {
		if f.addFlags != nil {
			f.addFlags(fs)
		}
	}

	fs.IntVar(&cfg.processCapacity, "aggregate.process-capacity", defaultProcessCapacity, "resident entries of the per-process table")
	check(fs, "aggregate.process-capacity", positive(&cfg.processCapacity))
	fs.IntVar(&cfg.pathCapacity, "aggregate.path-capacity", defaultPathCapacity, "resident entries of the per-path table")
	check(fs, "aggregate.path-capacity", positive(&cfg.pathCapacity))
	fs.DurationVar(&cfg.rankHalfLife, "aggregate.rank-half-life", defaultRankHalfLife, "half-life of the recent-activity rate that top-K lists are ranked by")
	check(fs, "aggregate.rank-half-life", func() error {
		if cfg.rankHalfLife <= 0 {
			return errors.New("must be positive")
		}
		return nil
	})

	fs.IntVar(&cfg.topK, "export.top-k", exporter.DefaultTopK, "entries of each table exported as per-process and per-path series")
	check(fs, "export.top-k", nonNegative(&cfg.topK))
	fs.IntVar(&cfg.seriesBudget, "export.series-budget", exporter.DefaultSeriesBudget, "maximum top-K series per scrape, both tables together")
	check(fs, "export.series-budget", nonNegative(&cfg.seriesBudget))
	fs.IntVar(&cfg.labelMaxBytes, "export.label-max-bytes", exporter.DefaultLabelLimit, "cap on path and process label values, in bytes")
	check(fs, "export.label-max-bytes", func() error {
		if cfg.labelMaxBytes < exporter.MinLabelLimit {
			return fmt.Errorf("must be at least %d", exporter.MinLabelLimit)
		}
		return nil
	})

	listen := newListValue(defaultListenAddress)
	fs.Var(listen, "web.listen-address", "address to serve /metrics on; repeatable (loopback by default: labels carry file paths)")
	fs.StringVar(&cfg.webConfigFile, "web.config.file", "", "exporter-toolkit web configuration file (TLS, basic auth)")
	check(fs, "web.config.file", func() error { return web.Validate(cfg.webConfigFile) })
	fs.StringVar(&cfg.telemetryPath, "web.telemetry-path", "/metrics", "path to serve metrics under")
	check(fs, "web.telemetry-path", func() error {
		if !strings.HasPrefix(cfg.telemetryPath, "/") || cfg.telemetryPath == "/" {
			return errors.New(`must start with "/" and not be "/"`)
		}
		return nil
	})

	fs.Var(cfg.logLevel, "log.level", "log level: "+strings.Join(promslog.LevelFlagOptions, ", "))
	fs.Var(cfg.logFormat, "log.format", "log format: "+strings.Join(promslog.FormatFlagOptions, ", "))

	muteExe, mutePath := newListValue(), newListValue()
	fs.Var(muteExe, "mute.executable", "executable path whose events a source drops before the fold; repeatable")
	fs.Var(mutePath, "mute.path-prefix", "path prefix whose events a source drops before the fold; repeatable")

	for _, e := range cfg.extensions {
		if e.addFlags != nil {
			e.addFlags(fs)
		}
	}

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			writeRunUsage(stdout, fs, cfg.sources)
			return nil, errHelp
		}
		return nil, flagError(err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg.listenAddresses = listen.values
	cfg.mute = muteConfig{executables: muteExe.values, pathPrefixes: mutePath.values}
	return cfg, nil
}

// flagError rewrites the flag package's single-dash flag names in err to the
// double-dash form the usage shows, and folds a multi-line message (a YAML
// error from a configuration file) into one line.
func flagError(err error) error {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	msg = strings.Replace(msg, "for flag -", "for flag --", 1)
	msg = strings.Replace(msg, "not defined: -", "not defined: --", 1)
	msg = strings.Replace(msg, "needs an argument: -", "needs an argument: --", 1)
	return errors.New(msg)
}

func writeRunUsage(w io.Writer, fs *flag.FlagSet, sources []sourceFactory) {
	fmt.Fprint(w, "Usage: estally run [flags]\n\nRun the daemon: fold events from a source and serve /metrics.\n\nSources:\n")
	for _, f := range sources {
		fmt.Fprintf(w, "  %-12s %s\n", f.name, f.usage)
	}
	fmt.Fprint(w, "\nFlags:\n")
	printFlags(w, fs)
}
