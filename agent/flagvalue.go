package agent

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// checkedValue is a flag.Value whose Set also validates the parsed value, so
// that an out-of-range value is reported by flag.Parse like a malformed one.
type checkedValue struct {
	flag.Value
	check func() error
}

func (v checkedValue) Set(s string) error {
	if err := v.Value.Set(s); err != nil {
		return err
	}
	return v.check()
}

// check makes fs validate flag name with fn each time it is set. The flag
// must already be defined.
func check(fs *flag.FlagSet, name string, fn func() error) {
	f := fs.Lookup(name)
	f.Value = checkedValue{Value: f.Value, check: fn}
}

// positive returns a check that *p is at least 1.
func positive(p *int) func() error {
	return func() error {
		if *p < 1 {
			return errors.New("must be at least 1")
		}
		return nil
	}
}

// nonNegative returns a check that *p is at least 0.
func nonNegative(p *int) func() error {
	return func() error {
		if *p < 0 {
			return errors.New("must not be negative")
		}
		return nil
	}
}

// listValue is a repeatable string flag. The first Set replaces the default;
// later ones append.
type listValue struct {
	values []string
	set    bool
}

func newListValue(defaults ...string) *listValue { return &listValue{values: defaults} }

func (l *listValue) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(l.values, ",")
}

func (l *listValue) Set(s string) error {
	if s == "" {
		return errors.New("must not be empty")
	}
	if !l.set {
		l.values, l.set = nil, true
	}
	l.values = append(l.values, s)
	return nil
}

// printFlags writes fs's flags in the --name=default form used by
// Prometheus-style daemons.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		def := f.DefValue
		switch {
		case def == "":
			fmt.Fprintf(w, "  --%s\n", f.Name)
		case strings.ContainsAny(def, " \t"):
			fmt.Fprintf(w, "  --%s=%q\n", f.Name, def)
		default:
			fmt.Fprintf(w, "  --%s=%s\n", f.Name, def)
		}
		fmt.Fprintf(w, "        %s\n", strings.ReplaceAll(f.Usage, "\n", "\n        "))
	})
}

// parseCommand parses the flags of a one-shot command (`estally top`,
// `estally summary`). It returns -1 when the command should go on, or the
// exit code to return: 0 after printing help for -h/--help, 2 after one line
// on stderr for a bad flag or an unexpected argument.
func parseCommand(fs *flag.FlagSet, args []string, about string, stdout, stderr io.Writer) int {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "Usage: %s [flags]\n\n%s\n\nFlags:\n", fs.Name(), about)
			printFlags(stdout, fs)
			return 0
		}
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), flagError(err))
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return 2
	}
	return -1
}
