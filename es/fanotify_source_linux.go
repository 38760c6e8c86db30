package es

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
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
	// reasonMarkFailed counts selected filesystems that could not be
	// marked (at start or when mounted later): their events are not seen.
	reasonMarkFailed = "mark_failed"
	// reasonMountinfo counts failures to re-read the mount table after a
	// change: mounts and unmounts since the last good read are not followed.
	reasonMountinfo = "mountinfo_unreadable"
)

// Mount-change logging: a few lines per interval, then a count of the
// lines suppressed, so that a mount storm does not flood the log.
const (
	mountLogEvery = 10 * time.Second
	mountLogBurst = 20
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
// Mounts: the source follows the mount table. While it runs, a change
// (signalled by the kernel as POLLPRI on an open /proc/self/mountinfo, see
// proc(5)) makes it re-read the table after the read interval, apply the
// same selection ([MountFilter]: tmpfs is watched by default, pseudo and
// excluded filesystems are not), mark filesystems mounted since, and forget
// those unmounted (the kernel drops their marks itself). Each change is
// logged at info level, rate-limited; a filesystem that cannot be marked is
// counted in [Stats.Errors] as "mark_failed".
//
// A queue overflow is counted in [Stats.Overflows]; how many events it lost
// is unknown.
type Fanotify struct {
	cfg   FanotifyConfig
	log   *slog.Logger
	stats *Stats
	mute  *Mute

	// mu guards groups and their marked lists, which [Fanotify.Filesystems]
	// reads from other goroutines; only the goroutine in Run (or
	// NewFanotify before it) changes them.
	mu      sync.Mutex
	groups  []*fanGroup            // a FID-mode group, an fd-mode one, or both
	fid, fd *fanGroup              // the same groups by mode, nil until created
	watched map[mountKey]watchedFS // the marked filesystems, by mount
	polls   []unix.PollFd          // the wake eventfd, mountinfo, then the groups
	fsids   map[uint64][]byte      // fsid → NUL-terminated mount point (FID mode)
	mountFD int                    // /proc/self/mountinfo, polled for changes; -1 once closed

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
	markFailed, mountinfoErrs           *Counter
	overflowLog, errorLog               logLimiter
	mountLog                            burstLimiter

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
		cfg:           cfg,
		log:           cfg.Logger,
		stats:         stats,
		mute:          NewMute(cfg.Mute, stats),
		fsids:         map[uint64][]byte{},
		watched:       map[mountKey]watchedFS{},
		mountFD:       -1,
		dirs:          newDirCache(defaultDirCacheSize),
		ident:         newProcIdent(defaultProcCacheSize, stats),
		buf:           make([]byte, cfg.BufferSize),
		pathBuf:       make([]byte, 0, 4096),
		exeBuf:        make([]byte, 0, 4096),
		scratch:       make([]byte, 0, 4096),
		link:          make([]byte, 4096),
		muted:         &stats.Muted,
		malformed:     stats.Errors(reasonMalformed),
		stale:         stats.Errors(reasonStaleHandle),
		unresolved:    stats.Errors(reasonPathUnresolved),
		markFailed:    stats.Errors(reasonMarkFailed),
		mountinfoErrs: stats.Errors(reasonMountinfo),
		mountLog:      burstLimiter{every: mountLogEvery, burst: mountLogBurst},
		overflowLog:   logLimiter{every: 10 * time.Second},
		errorLog:      logLimiter{every: 10 * time.Second},
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

// markFilesystems opens the mount table (kept open to be told of changes),
// creates the FID-mode group if the mode allows it, and marks every chosen
// filesystem.
func (s *Fanotify) markFilesystems() error {
	fd, err := unix.Open(s.cfg.MountinfoPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("listing mounts: %w", err)
	}
	s.mountFD = fd
	mounts, err := s.readMounts()
	if err != nil {
		return fmt.Errorf("listing mounts: %w", err)
	}
	if s.cfg.Report != FanotifyReportFD {
		fid, err := newFanGroup(true)
		switch {
		case err == nil:
			s.fid = fid
			s.groups = append(s.groups, fid)
		case s.cfg.Report == FanotifyReportFID || !errors.Is(err, unix.EINVAL):
			return fmt.Errorf("fanotify_init in FID mode: %w", err)
		default:
			s.log.Info("kernel lacks fanotify FID mode with names; using fd mode (writes and close-writes only)")
		}
	}
	s.syncMounts(mounts, false)
	if len(s.watched) == 0 {
		return errors.New("fanotify: no filesystem could be marked")
	}
	args := []any{"read_interval", s.cfg.ReadInterval, "buffer_bytes", len(s.buf)}
	if s.fid != nil {
		args = append(args, "fid_mode", s.fid.marked)
	}
	if s.fd != nil {
		args = append(args, "fd_mode", s.fd.marked)
	}
	s.log.Info("fanotify watching", args...)
	return nil
}

// mountKey names one watched mount. The mount id and device together tell
// a new filesystem mounted on the same point from the one before it.
type mountKey struct {
	id     int
	device string
	point  string
}

// watchedFS is the bookkeeping of one marked filesystem.
type watchedFS struct {
	g      *fanGroup
	fstype string
	fsid   uint64 // in s.fsids when g is the FID-mode group
}

// readMounts reads and parses the mount table from the start of the open
// mountinfo descriptor.
func (s *Fanotify) readMounts() ([]Mount, error) {
	if _, err := unix.Seek(s.mountFD, 0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("reading mountinfo: %w", err)
	}
	return ParseMountinfo(fdReader(s.mountFD))
}

// fdReader reads a descriptor directly, keeping it out of Go's network
// poller.
type fdReader int

func (r fdReader) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(int(r), p)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return 0, err
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// remount re-reads the mount table after the kernel signalled a change, and
// brings the marks up to date.
func (s *Fanotify) remount() {
	mounts, err := s.readMounts()
	if err != nil {
		s.mountinfoErrs.Inc()
		s.warn("cannot re-read the mount table; mount changes not followed", err)
		return
	}
	s.syncMounts(mounts, true)
}

// syncMounts marks the chosen filesystems among mounts not marked yet, and
// forgets the marked ones no longer chosen (unmounted, or now hidden).
// While running, it logs each change. A filesystem is marked in FID mode
// where the kernel and the filesystem support it, else (in auto mode) in a
// second group in fd mode; one that cannot be marked at all is counted and
// skipped.
func (s *Fanotify) syncMounts(mounts []Mount, running bool) {
	sel := s.cfg.Mounts.Select(mounts)
	want := make(map[mountKey]bool, len(sel))
	for _, m := range sel {
		want[mountKey{m.ID, m.Device, m.MountPoint}] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Forget first: a filesystem whose representative mount changed is
	// forgotten, then marked again through its new mount point.
	for k, w := range s.watched {
		if want[k] {
			continue
		}
		w.g.unmarked(k.point)
		if w.g == s.fid {
			delete(s.fsids, w.fsid)
			s.dirs.clear() // handles of a later filesystem may collide
		}
		delete(s.watched, k)
		if running {
			s.logMount("fanotify stopped watching filesystem", k.point, w.fstype, nil)
		}
	}
	for _, m := range sel {
		k := mountKey{m.ID, m.Device, m.MountPoint}
		if _, ok := s.watched[k]; ok {
			continue
		}
		if w, ok := s.watch(m); ok {
			s.watched[k] = w
			if running {
				s.logMount("fanotify watching filesystem", m.MountPoint, m.FSType, w.g)
			}
		}
	}
}

// watch marks the filesystem mounted at m, in FID mode if it can, and
// reports whether it did. Called with s.mu held.
func (s *Fanotify) watch(m Mount) (watchedFS, bool) {
	if s.fid != nil {
		fsid, err := statfsFSID(m.MountPoint)
		if err != nil {
			s.markFailure(m, err)
			return watchedFS{}, false
		}
		if _, dup := s.fsids[fsid]; dup {
			s.logMount("skipping filesystem with an fsid already marked", m.MountPoint, m.FSType, nil)
			return watchedFS{}, false
		}
		err = s.fid.mark(m.MountPoint)
		if err == nil {
			s.fsids[fsid] = append([]byte(m.MountPoint), 0)
			return watchedFS{g: s.fid, fstype: m.FSType, fsid: fsid}, true
		}
		// No file handles (overlayfs), or an fsid shared by several
		// filesystems (btrfs subvolumes): fd mode still works there.
		if s.cfg.Report != FanotifyReportAuto || !(errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.EXDEV)) {
			s.markFailure(m, err)
			return watchedFS{}, false
		}
	}
	if s.fd == nil {
		fd, err := newFanGroup(false)
		if err != nil {
			s.markFailure(m, fmt.Errorf("fanotify_init: %w", err))
			return watchedFS{}, false
		}
		s.fd = fd
		s.groups = append(s.groups, fd)
		if s.polls != nil { // running: poll the new group too
			s.polls = append(s.polls, unix.PollFd{Fd: int32(fd.fd), Events: unix.POLLIN})
		}
	}
	if err := s.fd.mark(m.MountPoint); err != nil {
		s.markFailure(m, err)
		return watchedFS{}, false
	}
	return watchedFS{g: s.fd, fstype: m.FSType}, true
}

// markFailure counts and logs a filesystem that could not be marked.
func (s *Fanotify) markFailure(m Mount, err error) {
	s.markFailed.Inc()
	if ok, n := s.mountLog.allow(time.Now()); ok {
		s.log.Warn("skipping filesystem", "mount", m.MountPoint, "fstype", m.FSType, "err", err, "suppressed", n)
	}
}

// logMount logs a change of the watched filesystems, rate-limited.
func (s *Fanotify) logMount(msg, point, fstype string, g *fanGroup) {
	ok, n := s.mountLog.allow(time.Now())
	if !ok {
		return
	}
	args := []any{"mount", point, "fstype", fstype, "suppressed", n}
	if g != nil {
		mode := "fd"
		if g.fid {
			mode = "fid"
		}
		args = append(args, "mode", mode)
	}
	s.log.Info(msg, args...)
}

// burstLimiter allows up to burst lines per interval, then counts the
// suppressed ones until the next interval.
type burstLimiter struct {
	every      time.Duration
	burst      int
	start      time.Time
	n          int
	suppressed int
}

// allow reports whether a line may be logged at now, and how many lines were
// suppressed before it.
func (l *burstLimiter) allow(now time.Time) (ok bool, suppressed int) {
	if now.Sub(l.start) >= l.every {
		l.start, l.n = now, 0
	}
	if l.n >= l.burst {
		l.suppressed++
		return false, 0
	}
	l.n++
	n := l.suppressed
	l.suppressed = 0
	return true, n
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

// Filesystems returns the mount points whose filesystems are marked. It
// may be called while the source runs.
func (s *Fanotify) Filesystems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
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
	// wait on shutdown. The open mountinfo is polled alongside (POLLPRI on a
	// mount table change), costing nothing while mounts do not change.
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
	s.polls = append(s.polls[:0],
		unix.PollFd{Fd: int32(wake), Events: unix.POLLIN},
		unix.PollFd{Fd: int32(s.mountFD), Events: unix.POLLPRI})
	for _, g := range s.groups {
		s.polls = append(s.polls, unix.PollFd{Fd: int32(g.fd), Events: unix.POLLIN})
	}

	s.stats.SetUp(true)
	defer s.stats.SetUp(false)
	batch := BatcherOf(sink) // one lock of the fold per buffer read
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		mountsChanged, err := s.wait()
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		// Let the queue fill, and the kernel merge, before reading (and a
		// burst of mount changes settle before re-reading the table).
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
		// After the events queued before an unmount were read with the
		// filesystem still known.
		if mountsChanged {
			s.remount()
		}
	}
}

// The fixed entries of s.polls, before the groups.
const (
	pollWake = iota
	pollMounts
)

// wait blocks until a queue has events, the wake descriptor is signalled,
// or the mount table changed (then it reports true).
func (s *Fanotify) wait() (mountsChanged bool, err error) {
	for {
		for i := range s.polls {
			s.polls[i].Revents = 0
		}
		_, err := unix.Poll(s.polls, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("fanotify poll: %w", err)
		}
		ready := false
		for i, p := range s.polls {
			switch {
			case i == pollMounts && p.Revents&unix.POLLNVAL == 0:
				// POLLERR|POLLPRI: the mount table changed.
				if p.Revents&(unix.POLLPRI|unix.POLLERR) != 0 {
					mountsChanged, ready = true, true
				}
			case p.Revents&unix.POLLIN != 0:
				ready = true
			case p.Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0:
				return false, fmt.Errorf("fanotify poll: revents %#x", p.Revents)
			}
		}
		if ready {
			return mountsChanged, nil
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
		if s.mountFD >= 0 {
			unix.Close(s.mountFD)
			s.mountFD = -1
		}
		s.closed = true
		s.stats.SetUp(false)
	})
	return err
}
