package es

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"
)

// EsloggerEvents are the eslogger event names the source subscribes to when
// it spawns eslogger.
var EsloggerEvents = []string{"write", "close", "create", "rename", "unlink", "truncate"}

// DefaultEsloggerPath is where macOS 13 and later ship eslogger.
const DefaultEsloggerPath = "/usr/bin/eslogger"

// DefaultEsloggerMaxLine is the default limit on one eslogger line. Real
// lines are a few KiB; a file event with two 16K paths stays far below it.
const DefaultEsloggerMaxLine = 1 << 20

// EsloggerInputExec is the EsloggerConfig.Input value that makes the source
// spawn eslogger itself.
const EsloggerInputExec = "exec"

// EsloggerConfig configures an [Eslogger] source.
type EsloggerConfig struct {
	// Input is "-" for standard input, EsloggerInputExec to spawn Path, or
	// the name of a file holding eslogger JSON Lines.
	Input string
	// Path is the eslogger binary spawned for EsloggerInputExec; empty
	// means DefaultEsloggerPath.
	Path string
	// MaxLine is the longest line accepted, in bytes; longer lines are
	// discarded and counted. Zero means DefaultEsloggerMaxLine.
	MaxLine int
	// Stdin is read for Input "-"; nil means os.Stdin.
	Stdin io.Reader
	// Logger receives start/stop and rate-limited problem reports; nil
	// discards them.
	Logger *slog.Logger
	// Mute drops the events of muted processes, executables and paths
	// before the sink, counting them in Stats().Muted. A spawned eslogger
	// already suppresses the agent's own process group.
	Mute MuteConfig
}

// Eslogger is a source reading Apple's eslogger JSON Lines (macOS 13+):
// from standard input, a file, or an eslogger process it spawns. It folds
// write, close (when the file was modified), create, rename, unlink and
// truncate events, counts kernel drops revealed by the sequence numbers in
// Stats().Dropped("kernel"), and counts every rejected line by reason in
// Stats().Errors.
//
// Run must not be called concurrently; Stats is safe from any goroutine.
type Eslogger struct {
	cfg    EsloggerConfig
	log    *slog.Logger
	stats  *Stats
	parser elogParser
	seq    seqTracker
	ev     Event
	mute   *Mute

	dropped   *Counter
	malformed *Counter
	oversize  *Counter
	badField  *Counter
	missing   *Counter
	unknownEv *Counter
	unknownFd *Counter
	truncated *Counter

	lastWarn time.Time
}

// NewEslogger returns an eslogger source. It checks the configuration but
// opens nothing: Run does.
func NewEslogger(cfg EsloggerConfig) (*Eslogger, error) {
	if cfg.Input == "" {
		return nil, errors.New("eslogger: no input given (want -, exec or a file name)")
	}
	if cfg.Path == "" {
		cfg.Path = DefaultEsloggerPath
	}
	if cfg.MaxLine == 0 {
		cfg.MaxLine = DefaultEsloggerMaxLine
	}
	if cfg.MaxLine < 4096 {
		return nil, fmt.Errorf("eslogger: line limit %d is below 4096 bytes", cfg.MaxLine)
	}
	if cfg.Stdin == nil {
		cfg.Stdin = os.Stdin
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st := NewStats("eslogger")
	return &Eslogger{
		cfg:       cfg,
		log:       log,
		stats:     st,
		mute:      NewMute(cfg.Mute, st),
		dropped:   st.Dropped("kernel"),
		malformed: st.Errors(ReasonMalformedLine),
		oversize:  st.Errors(ReasonOversizeLine),
		badField:  st.Errors(ReasonBadField),
		missing:   st.Errors(ReasonMissingField),
		unknownEv: st.Errors(ReasonUnknownEventType),
		unknownFd: st.Errors(ReasonUnknownField),
		truncated: st.Errors(ReasonPathTruncated),
	}, nil
}

// Stats returns the source's loss ledger.
func (e *Eslogger) Stats() *Stats { return e.stats }

// Run reads events until the input ends, ctx is done, or a spawned eslogger
// fails, calling sink.Observe for each folded event. The end of a file or
// of standard input ends Run with a nil error.
func (e *Eslogger) Run(ctx context.Context, sink Sink) error {
	defer e.stats.SetUp(false)
	switch e.cfg.Input {
	case EsloggerInputExec:
		return e.runExec(ctx, sink)
	case "-":
		in := e.cfg.Stdin
		if f, ok := in.(*os.File); ok {
			if d := interruptible(f); d != f {
				defer d.Close()
				in = d
			}
		}
		return e.runReader(ctx, in, sink, "standard input")
	default:
		f, err := os.Open(e.cfg.Input)
		if err != nil {
			return fmt.Errorf("eslogger: open input: %w", err)
		}
		defer f.Close()
		return e.runReader(ctx, f, sink, e.cfg.Input)
	}
}

// runReader consumes r until EOF or ctx is done. When ctx ends first, r is
// closed if it can be, so that a blocked read returns.
func (e *Eslogger) runReader(ctx context.Context, r io.Reader, sink Sink, name string) error {
	stop := context.AfterFunc(ctx, func() {
		if c, ok := r.(io.Closer); ok {
			_ = c.Close()
		}
	})
	defer stop()
	e.log.Info("reading eslogger lines", "input", name)
	e.stats.SetUp(true)
	err := e.consume(r, sink)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("eslogger: read %s: %w", name, err)
	}
	e.log.Info("eslogger input ended", "input", name)
	return nil
}

// consume reads lines from r with a bounded buffer, handing each to line.
// A line longer than the limit is counted and discarded up to its newline;
// memory stays bounded by the limit.
func (e *Eslogger) consume(r io.Reader, sink Sink) error {
	br := bufio.NewReaderSize(r, e.cfg.MaxLine)
	for {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			e.oversize.Inc()
			e.warn("discarding oversize eslogger line", "limit_bytes", e.cfg.MaxLine)
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			b = nil
		}
		if len(b) > 0 {
			e.line(b, sink)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// line handles one line: parse, sequence accounting, fold.
func (e *Eslogger) line(b []byte, sink Sink) {
	b = bytes.TrimRight(b, "\r\n")
	if isBlank(b) {
		return // nothing was lost
	}
	p := &e.parser
	if reason := p.parse(b); reason != "" {
		e.reject(reason)
		// The line was a message the kernel delivered: its loss is the
		// error just counted, so let its sequence number (if it survived)
		// keep the next line from counting it again as a kernel drop.
		if g, ok := salvageGlobalSeq(b); ok {
			e.dropped.Add(e.seq.skipGlobal(g))
		}
		return
	}
	r := &p.rec
	if r.unknownFields > 0 {
		e.unknownFd.Add(uint64(r.unknownFields))
	}
	// ESMessage.h: seq_num exists from message version 2, global_seq_num
	// from version 4. A line without an event type still advances the
	// global sequence (typ beyond seqTypes skips the per-type one).
	hasSeq := r.hasSeq && (!r.hasVersion || r.version >= msgVersionSeqNum)
	hasGlobal := r.hasGlobal && (!r.hasVersion || r.version >= msgVersionGlobalSeq)
	typ := r.eventType
	if !r.hasType {
		typ = seqNoType
	}
	e.dropped.Add(e.seq.observe(typ, r.seq, hasSeq, r.global, hasGlobal))
	kind, ok := kindOfType(r.eventType)
	if !r.hasType || !ok {
		e.unknownEv.Inc()
		return
	}
	if !r.known {
		// A folded type number without its event object.
		e.missing.Inc()
		return
	}
	if r.eventType == esEventNotifyClose && !r.modified {
		return // an unmodified close is not file activity
	}
	if len(r.path) == 0 {
		e.missing.Inc()
		return
	}
	if r.pathTruncated {
		e.truncated.Inc()
	}
	ev := &e.ev
	ev.Kind = kind
	ev.PID = r.pid
	ev.Executable = r.exe
	if len(ev.Executable) == 0 {
		ev.Executable = unknownExecutable
	}
	ev.SigningID = r.signingID
	ev.TeamID = r.teamID
	ev.Path = r.path
	ev.Bytes = 0
	ev.Seq = 0
	switch {
	case r.hasGlobal && (!r.hasVersion || r.version >= msgVersionGlobalSeq):
		ev.Seq = r.global
	case r.hasSeq && (!r.hasVersion || r.version >= msgVersionSeqNum):
		ev.Seq = r.seq
	}
	if e.mute.Drop(ev) {
		return
	}
	sink.Observe(ev)
}

func (e *Eslogger) reject(reason string) {
	switch reason {
	case ReasonMalformedLine:
		e.malformed.Inc()
	case ReasonBadField:
		e.badField.Inc()
	case ReasonMissingField:
		e.missing.Inc()
	default:
		e.stats.Errors(reason).Inc()
	}
	e.warn("skipping eslogger line", "reason", reason)
}

// warn logs at most one problem report every 10 seconds: the input is not
// trusted to be well-formed, and a flood of bad lines must not flood logs.
func (e *Eslogger) warn(msg string, args ...any) {
	now := time.Now()
	if now.Sub(e.lastWarn) < 10*time.Second {
		return
	}
	e.lastWarn = now
	e.log.Warn(msg, args...)
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// tailBuffer keeps the last bytes written to it, for an eslogger stderr
// that must be reported without growing without bound.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.buf))
}
