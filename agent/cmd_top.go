package agent

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/estally/estally/summary"
)

// runTop implements `estally top`: a terminal view of a running daemon,
// refreshed on each summary it pushes.
func runTop(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("estally top", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	socket := fs.String("socket", defaultSummarySocket(), "the daemon's summary socket (--summary.socket)")
	interval := fs.Duration("interval", 0, "refresh interval, no shorter than the daemon's --summary.interval (0: the daemon's)")
	if code := parseCommand(fs, args, "Terminal view of a running daemon; q or Ctrl-C quits.", stdout, stderr); code >= 0 {
		return code
	}
	tty, ok := stdout.(*os.File)
	if !ok || !term.IsTerminal(int(tty.Fd())) || !term.IsTerminal(int(os.Stdin.Fd())) {
		fmt.Fprintln(stderr, "estally top: needs a terminal (use estally summary for a one-shot summary)")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	winch := make(chan os.Signal, 1)
	notifyResize(winch)
	defer signal.Stop(winch)
	err := topSession(ctx, topConfig{socket: *socket, interval: *interval, in: os.Stdin, out: tty, resize: winch})
	if err != nil {
		fmt.Fprintf(stderr, "estally top: %v\n", err)
		return 1
	}
	return 0
}

// topConfig is one `estally top` session's terminal and daemon.
type topConfig struct {
	socket   string
	interval time.Duration
	in       *os.File // the terminal's input (keys)
	out      *os.File // the terminal's output
	resize   <-chan os.Signal
}

// topSession runs the view until q/Ctrl-C or ctx is done; it returns an
// error if it cannot reach the daemon at all (later disconnections are shown
// and retried). It always restores the terminal.
func topSession(ctx context.Context, cfg topConfig) error {
	inFd, outFd := int(cfg.in.Fd()), int(cfg.out.Fd())
	old, err := term.MakeRaw(inFd)
	if err != nil {
		return fmt.Errorf("terminal: %w", err)
	}
	defer term.Restore(inFd, old)
	// Alternate screen, hidden cursor; undone on every exit path.
	io.WriteString(cfg.out, "\x1b[?1049h\x1b[?25l")
	defer io.WriteString(cfg.out, "\x1b[?25h\x1b[?1049l")

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go readKeys(cfg.in, cancel)

	updates := make(chan *summary.Summary, 1)
	errc := make(chan error, 1)
	go subscribeLoop(ctx, cfg, updates, errc)

	v := &topView{socket: cfg.socket}
	size := func() {
		v.width, v.height, _ = term.GetSize(outFd)
		if v.width <= 0 || v.height <= 0 {
			v.width, v.height = 80, 24
		}
	}
	draw := func() { io.WriteString(cfg.out, topFrame(v.render())) }
	size()
	draw()
	for {
		select {
		case <-ctx.Done():
			return nil
		case s := <-updates:
			v.push(s)
			v.status = ""
			draw()
		case <-cfg.resize:
			size()
			io.WriteString(cfg.out, "\x1b[2J")
			draw()
		case err := <-errc:
			select { // a summary received before the failure still counts
			case s := <-updates:
				v.push(s)
			default:
			}
			if v.cur == nil { // never connected: say why and exit
				return err
			}
			v.status = "disconnected (" + err.Error() + "); retrying"
			draw()
		}
	}
}

// subscribeLoop keeps a subscription open, reconnecting every second after
// a failure until ctx is done. Summaries go to updates, latest wins (never
// queued behind a slow terminal); failures to errc, latest wins.
func subscribeLoop(ctx context.Context, cfg topConfig, updates chan *summary.Summary, errc chan error) {
	c := &summary.Client{Path: cfg.socket}
	for ctx.Err() == nil {
		err := c.Subscribe(ctx, cfg.interval, func(r summary.Received) error {
			select {
			case <-updates:
			default:
			}
			updates <- r.Summary
			return nil
		})
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("connection closed")
		}
		select {
		case <-errc:
		default:
		}
		errc <- err
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// readKeys cancels the session on q, Q, Ctrl-C or Ctrl-D, or when the
// terminal closes.
func readKeys(in io.Reader, quit context.CancelFunc) {
	var b [16]byte
	for {
		n, err := in.Read(b[:])
		for _, c := range b[:n] {
			switch c {
			case 'q', 'Q', 3, 4:
				quit()
				return
			}
		}
		if err != nil {
			quit()
			return
		}
	}
}
