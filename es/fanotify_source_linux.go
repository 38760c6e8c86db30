package es

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Defaults of [FanotifyConfig].
const (
	DefaultFanotifyReadInterval = 20 * time.Millisecond
	DefaultFanotifyBufferSize   = 1 << 20
	defaultDirCacheSize         = 4096
	defaultProcCacheSize        = 4096
)

// Report modes of the fanotify source.
const (
	FanotifyReportAuto = "auto" // FID where the kernel and each filesystem allow it, fd elsewhere
	FanotifyReportFID  = "fid"  // FAN_REPORT_DFID_NAME: directory handle and name (Linux 5.9+)
	FanotifyReportFD   = "fd"   // an open file per event: modify and close-write only
)

// Placeholder paths, and the [Stats.Errors] reasons counting events
// attributed to them.
const (
	// PathStale is reported for a file whose directory was deleted before
	// the event was read (its handle is stale).
	PathStale = "<stale>"
	// PathUnresolved is reported when the path could not be resolved
	// otherwise.
	PathUnresolved = "<unresolved>"

	reasonStaleHandle    = "stale_handle"
	reasonPathUnresolved = "path_unresolved"
	reasonMalformed      = "malformed_record"
)

var pathStale, pathUnresolved = []byte(PathStale), []byte(PathUnresolved)

// FanotifyConfig configures a [Fanotify] source. Zero values take defaults.
type FanotifyConfig struct {
	// ReadInterval is how long the source lets events queue (and the kernel
	// merge them) between reads once events arrive. Reading as fast as
	// possible defeats the kernel's merging and costs far more CPU.
	ReadInterval time.Duration
	// BufferSize is the size of the read buffer in bytes.
	BufferSize int
	// Report is FanotifyReportAuto, FanotifyReportFID or FanotifyReportFD.
	Report string
	// Mounts chooses the filesystems to mark; nil excludes
	// [DefaultExcludeFSTypes].
	Mounts *MountFilter
	// Mute is the self-filter; the source's own pid is always muted.
	Mute MuteConfig
	// Logger receives setup messages and rate-limited warnings.
	Logger *slog.Logger
	// MountinfoPath defaults to /proc/self/mountinfo.
	MountinfoPath string
	// NoProcConnector disables exec-time learning of executables.
	NoProcConnector bool
}

// Fanotify is the Linux fanotify source. It marks whole filesystems
// (FAN_MARK_FILESYSTEM) for modify, close-write, create, moved-from and
// delete events in the notification class (never FAN_UNLIMITED_QUEUE: the
// kernel's queue stays bounded), reads the queue in timed batches, and
// reports each event with the acting process's executable and the file's
// path. (fanotify_linux.go holds the calls to the fanotify
// and open_by_handle_at APIs.)
//
// Paths: in FID mode (Linux 5.9+) each event names the parent directory by
// file handle, resolved through a bounded cache (open_by_handle_at, then
// /proc/self/fd), plus the entry name. Paths are resolved when events are
// read, so an event queued before its directory was renamed carries the new
// name; one whose directory is gone is reported as [PathStale], counted.
// In fd mode the kernel opens each file and the path is read from
// /proc/self/fd. In auto mode, filesystems that refuse FID marks (overlayfs,
// btrfs subvolumes) are marked in a second group in fd mode.
//
// Executables: /proc/PID/exe through a cache checked against the process
// start time; exec-time learning from the queue's own FAN_OPEN_EXEC events
// and from the process connector attributes processes that exit before
// their events are read. Placeholders ([ExeExited], [ExeUnknown]) are counted.
//
// Event kinds: FAN_MODIFY is [KindWrite] (truncation also raises FAN_MODIFY,
// so fanotify never reports [KindTruncate]); FAN_CLOSE_WRITE is
// [KindCloseModified]; FAN_CREATE [KindCreate]; FAN_MOVED_FROM [KindRename]
// with the source path; FAN_DELETE [KindUnlink]. The kernel merges queued
// events on one file by one process: a run of writes between two reads
// arrives as one [KindWrite], and a file created, written, closed and
// deleted within one read interval as one event of each of those kinds.
// Directory events are not reported. In fd mode (kernels before 5.9) only
// writes and close-writes exist.
//
// A queue overflow is counted in [Stats.Overflows]; how many events it lost
// is unknown. Filesystems mounted after the source started are not watched.
type Fanotify struct {
	cfg   FanotifyConfig
	log   *slog.Logger
	stats *Stats
	mute  *Mute

	groups []*fanGroup       // a FID-mode group, an fd-mode one, or both
	polls  []unix.PollFd     // the groups, then the wake eventfd
	fsids  map[uint64][]byte // fsid → NUL-terminated mount point (FID mode)

	conn  *procConn
	ident *procIdent
	dirs  *dirCache

	buf     []byte
	dec     fanotifyDecoder
	rec     fanotifyRecord
	ev      Event
	pathBuf []byte
	exeBuf  []byte
	scratch []byte // NUL-terminated paths for system calls
	link    []byte // readlink target

	muted, malformed, stale, unresolved *Counter
	overflowLog, errorLog               logLimiter

	closeOnce sync.Once
	running   bool
	closed    bool
}

// NewFanotify creates a fanotify group and marks the chosen filesystems. It
// needs CAP_SYS_ADMIN (and CAP_DAC_READ_SEARCH to resolve paths in FID
// mode). The events queue from then on; [Fanotify.Run] reads them, and
// releases everything when it returns.
func NewFanotify(cfg FanotifyConfig) (*Fanotify, error) {
	if cfg.ReadInterval <= 0 {
		cfg.ReadInterval = DefaultFanotifyReadInterval
	}
	switch {
	case cfg.BufferSize <= 0:
		cfg.BufferSize = DefaultFanotifyBufferSize
	case cfg.BufferSize < 64<<10:
		cfg.BufferSize = 64 << 10 // room for many events of maximal size
	}
	if cfg.Report == "" {
		cfg.Report = FanotifyReportAuto
	}
	if cfg.Mounts == nil {
		cfg.Mounts = &MountFilter{ExcludeFSTypes: DefaultExcludeFSTypes}
	}
	if cfg.MountinfoPath == "" {
		cfg.MountinfoPath = "/proc/self/mountinfo"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Mute.PIDs = append(slices.Clip(cfg.Mute.PIDs), int32(os.Getpid()))
	stats := NewStats("fanotify")
	s := &Fanotify{
		cfg:         cfg,
		log:         cfg.Logger,
		stats:       stats,
		mute:        NewMute(cfg.Mute, stats),
		fsids:       map[uint64][]byte{},
		dirs:        newDirCache(defaultDirCacheSize),
		ident:       newProcIdent(defaultProcCacheSize, stats),
		buf:         make([]byte, cfg.BufferSize),
		pathBuf:     make([]byte, 0, 4096),
		exeBuf:      make([]byte, 0, 4096),
		scratch:     make([]byte, 0, 4096),
		link:        make([]byte, 4096),
		muted:       &stats.Muted,
		malformed:   stats.Errors(reasonMalformed),
		stale:       stats.Errors(reasonStaleHandle),
		unresolved:  stats.Errors(reasonPathUnresolved),
		overflowLog: logLimiter{every: 10 * time.Second},
		errorLog:    logLimiter{every: 10 * time.Second},
	}
	if err := s.markFilesystems(); err != nil {
		s.Close()
		return nil, err
	}
	if !cfg.NoProcConnector {
		conn, err := openProcConn(s.ident, stats)
		if err != nil {
			s.log.Warn("executables of short-lived processes will not be learned at exec time", "err", err)
		} else {
			s.conn = conn
		}
	}
	return s, nil
}

// markFilesystems creates the groups and marks every chosen filesystem: in
// FID mode where the kernel and the filesystem support it, else (in auto
// mode) in a second group in fd mode. A filesystem the kernel refuses
// altogether is skipped with a warning.
func (s *Fanotify) markFilesystems() error {
	mf, err := os.Open(s.cfg.MountinfoPath)
	if err != nil {
		return fmt.Errorf("listing mounts: %w", err)
	}
	mounts, err := ParseMountinfo(mf)
	mf.Close()
	if err != nil {
		return fmt.Errorf("listing mounts: %w", err)
	}
	var fid, fd *fanGroup
	if s.cfg.Report != FanotifyReportFD {
		fid, err = newFanGroup(true)
		switch {
		case err == nil:
			s.groups = append(s.groups, fid)
		case s.cfg.Report == FanotifyReportFID || !errors.Is(err, unix.EINVAL):
			return fmt.Errorf("fanotify_init in FID mode: %w", err)
		default:
			s.log.Info("kernel lacks fanotify FID mode with names; using fd mode (writes and close-writes only)")
		}
	}
	var fallback []Mount
	for _, m := range s.cfg.Mounts.Select(mounts) {
		if fid == nil {
			fallback = append(fallback, m)
			continue
		}
		fsid, err := statfsFSID(m.MountPoint)
		if err != nil {
			s.log.Warn("skipping filesystem", "mount", m.MountPoint, "fstype", m.FSType, "err", err)
			continue
		}
		if _, dup := s.fsids[fsid]; dup {
			s.log.Warn("skipping filesystem with an fsid already marked", "mount", m.MountPoint, "fstype", m.FSType)
			continue
		}
		if err := fid.mark(m.MountPoint); err != nil {
			// No file handles (overlayfs), or an fsid shared by several
			// filesystems (btrfs subvolumes): fd mode still works there.
			if s.cfg.Report == FanotifyReportAuto && (errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.EXDEV)) {
				fallback = append(fallback, m)
				continue
			}
			s.log.Warn("skipping filesystem", "mount", m.MountPoint, "fstype", m.FSType, "err", err)
			continue
		}
		s.fsids[fsid] = append([]byte(m.MountPoint), 0)
	}
	if len(fallback) > 0 {
		if fd, err = newFanGroup(false); err != nil {
			return fmt.Errorf("fanotify_init: %w", err)
		}
		s.groups = append(s.groups, fd)
		for _, m := range fallback {
			if err := fd.mark(m.MountPoint); err != nil {
				s.log.Warn("skipping filesystem", "mount", m.MountPoint, "fstype", m.FSType, "err", err)
			}
		}
	}
	if len(s.Filesystems()) == 0 {
		return errors.New("fanotify: no filesystem could be marked")
	}
	args := []any{"read_interval", s.cfg.ReadInterval, "buffer_bytes", len(s.buf)}
	if fid != nil {
		args = append(args, "fid_mode", fid.marked)
	}
	if fd != nil {
		args = append(args, "fd_mode", fd.marked)
	}
	s.log.Info("fanotify watching", args...)
	return nil
}

// statfsFSID returns the fsid of the filesystem mounted at path, in the
// byte order fanotify reports it.
func statfsFSID(path string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, err
	}
	var b [8]byte
	binary.NativeEndian.PutUint32(b[0:], uint32(st.Fsid.Val[0]))
	binary.NativeEndian.PutUint32(b[4:], uint32(st.Fsid.Val[1]))
	return binary.NativeEndian.Uint64(b[:]), nil
}

// Stats returns the source's loss ledger.
func (s *Fanotify) Stats() *Stats { return s.stats }

// Filesystems returns the mount points whose filesystems are marked.
func (s *Fanotify) Filesystems() []string {
	var out []string
	for _, g := range s.groups {
		out = append(out, g.marked...)
	}
	return out
}

// Run reads events and hands them to sink until ctx is done or reading
// fails. It then removes the marks and closes the descriptors; the source
// cannot be run again.
func (s *Fanotify) Run(ctx context.Context, sink Sink) error {
	if s.running || s.closed {
		return errors.New("fanotify: source already ran")
	}
	s.running = true
	defer func() {
		if err := s.Close(); err != nil {
			s.log.Warn("fanotify shutdown", "err", err)
		}
	}()

	var wg sync.WaitGroup
	connCtx, cancelConn := context.WithCancel(ctx)
	defer func() { cancelConn(); wg.Wait() }()
	if s.conn != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.conn.run(connCtx); err != nil {
				s.log.Warn("process connector stopped", "err", err)
			}
		}()
	}
	// The descriptor is polled directly, not through Go's network poller:
	// the poller would keep it registered while the source sleeps between
	// reads and wake a thread for every event queued, which under a storm
	// costs more CPU than reading the events. poll(2) listens only while
	// the source waits for the first event of a batch; an eventfd ends the
	// wait on shutdown.
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return fmt.Errorf("fanotify: eventfd: %w", err)
	}
	woken := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(woken)
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		_, _ = unix.Write(wake, one[:])
	})
	defer func() {
		if !stop() {
			<-woken // the write must not reach a reused descriptor number
		}
		unix.Close(wake)
	}()
	for _, g := range s.groups {
		s.polls = append(s.polls, unix.PollFd{Fd: int32(g.fd), Events: unix.POLLIN})
	}
	s.polls = append(s.polls, unix.PollFd{Fd: int32(wake), Events: unix.POLLIN})

	s.stats.SetUp(true)
	defer s.stats.SetUp(false)
	batch := BatcherOf(sink) // one lock of the fold per buffer read
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		if err := s.wait(); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		// Let the queue fill, and the kernel merge, before reading.
		timer.Reset(s.cfg.ReadInterval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
		// Read a buffer, and more while reads fill the buffer.
		for _, g := range s.groups {
			for {
				n, err := g.read(s.buf)
				if err != nil {
					return err
				}
				if n == 0 {
					break
				}
				batch.BeginBatch()
				s.process(g, s.buf[:n], sink)
				batch.EndBatch()
				if n < len(s.buf)/2 {
					break
				}
			}
		}
	}
}

// wait blocks until a queue has events or the wake descriptor is
// signalled.
func (s *Fanotify) wait() error {
	for {
		for i := range s.polls {
			s.polls[i].Revents = 0
		}
		_, err := unix.Poll(s.polls, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("fanotify poll: %w", err)
		}
		for _, p := range s.polls {
			if p.Revents&unix.POLLIN != 0 {
				return nil
			}
			if p.Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 {
				return fmt.Errorf("fanotify poll: revents %#x", p.Revents)
			}
		}
	}
}

// process decodes one buffer of events read from g and hands them to sink.
func (s *Fanotify) process(g *fanGroup, b []byte, sink Sink) {
	s.ident.newBatch()
	s.dec.reset(b)
	r := &s.rec
	for {
		ok, err := s.dec.next(r)
		if !ok {
			return
		}
		if err != nil {
			s.malformed.Inc()
			s.warn("dropping malformed fanotify event", err)
		} else {
			s.handle(g, r, sink)
		}
		if r.FD >= 0 {
			unix.Close(int(r.FD)) // fd mode: the kernel opened the file for us
		}
	}
}

// handle reports the events of one record.
func (s *Fanotify) handle(g *fanGroup, r *fanotifyRecord, sink Sink) {
	if r.Overflow() {
		s.stats.Overflows.Inc()
		if ok, n := s.overflowLog.allow(time.Now()); ok {
			s.log.Warn("fanotify queue overflowed: events were lost, how many is unknown", "suppressed", n)
		}
		return
	}
	if r.Mask&fanOnDir != 0 {
		if r.Mask&fanMovedFrom != 0 {
			s.dirs.clear() // cached paths below the renamed directory are wrong
		}
		return
	}
	if r.Mask&fanOpenExec != 0 && !s.mute.MutesPID(r.PID) {
		// The executable a process runs, in order with its events: learned
		// here, it attributes processes that exit before they are looked up.
		if p := s.resolvePath(g, r); !isPlaceholder(p) && !isELFInterpreter(p) {
			s.ident.learnExecPath(r.PID, p)
		}
	}
	var kinds uint64
	for _, km := range fanKindMasks {
		if r.Mask&km.mask != 0 {
			kinds++
		}
	}
	if kinds == 0 {
		return
	}
	if s.mute.MutesPID(r.PID) {
		s.muted.Add(kinds)
		return
	}
	ev := &s.ev
	ev.PID = r.PID
	ev.Path = s.resolvePath(g, r)
	s.exeBuf = s.ident.lookup(r.PID, s.exeBuf)
	ev.Executable = s.exeBuf
	if s.mute.Mutes(ev) {
		s.muted.Add(kinds)
		return
	}
	for _, km := range fanKindMasks {
		if r.Mask&km.mask != 0 {
			ev.Kind = km.kind
			sink.Observe(ev)
		}
	}
}

// warn logs err at most once per interval.
func (s *Fanotify) warn(msg string, err error) {
	if ok, n := s.errorLog.allow(time.Now()); ok {
		s.log.Warn(msg, "err", err, "suppressed", n)
	}
}

// Close removes the marks and closes the descriptors. Run calls it on
// return; calling it again does nothing.
func (s *Fanotify) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if s.conn != nil {
			s.conn.close(s.running)
		}
		for _, g := range s.groups {
			if gerr := g.close(); gerr != nil && err == nil {
				err = gerr
			}
		}
		s.closed = true
		s.stats.SetUp(false)
	})
	return err
}
