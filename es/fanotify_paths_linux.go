package es

import (
	"bytes"
	"errors"
	"strconv"

	"golang.org/x/sys/unix"
)

// Path resolution for the fanotify source: FID-mode directory handles
// through a bounded cache, fd-mode descriptors through /proc/self/fd.

// resolvePath returns the record's path in s.pathBuf, or a counted
// placeholder.
func (s *Fanotify) resolvePath(g *fanGroup, r *fanotifyRecord) []byte {
	if !g.fid {
		n, err := s.readFDLink(int(r.FD))
		if err != nil {
			s.unresolved.Inc()
			return pathUnresolved
		}
		s.pathBuf = append(s.pathBuf[:0], s.link[:n]...)
		return s.pathBuf
	}
	if len(r.DirKey) == 0 || len(r.Name) == 0 {
		s.unresolved.Inc()
		return pathUnresolved
	}
	dir, ok := s.dirs.get(r.DirKey)
	if !ok {
		dir = s.dirs.put(r.DirKey, s.openDir(r))
	}
	switch {
	case bytes.Equal(dir, pathStale):
		s.stale.Inc()
		return pathStale
	case bytes.Equal(dir, pathUnresolved):
		s.unresolved.Inc()
		return pathUnresolved
	}
	p := append(s.pathBuf[:0], dir...)
	if len(p) == 0 || p[len(p)-1] != '/' {
		p = append(p, '/')
	}
	s.pathBuf = append(p, r.Name...)
	return s.pathBuf
}

// openDir resolves a directory handle to its path through open_by_handle_at
// and /proc/self/fd, or returns a placeholder.
func (s *Fanotify) openDir(r *fanotifyRecord) []byte {
	fsid, _ := r.FSID()
	mnt, ok := s.fsids[fsid]
	if !ok {
		return pathUnresolved
	}
	// The mount point is opened per lookup, not held, so that the agent
	// never keeps a filesystem from being unmounted.
	dfd, err := openByHandle(mnt, r.DirHandle)
	if errors.Is(err, unix.ESTALE) || errors.Is(err, unix.ENOENT) {
		return pathStale
	}
	if err != nil {
		s.warn("cannot open directory by handle", err)
		return pathUnresolved
	}
	defer unix.Close(dfd)
	n, err := s.readFDLink(dfd)
	if err != nil {
		return pathUnresolved
	}
	if bytes.HasSuffix(s.link[:n], deletedSuffix) {
		return pathStale
	}
	return s.link[:n]
}

var deletedSuffix = []byte(" (deleted)")

func isPlaceholder(p []byte) bool { return len(p) > 0 && p[0] == '<' }

// isELFInterpreter reports whether p names a dynamic loader (ld-linux*.so*,
// ld-musl-*.so*, ld.so*, ld64.so*). The kernel opens it for exec after the
// program itself; /proc/PID/exe names the program, and so does estally.
func isELFInterpreter(p []byte) bool {
	base := p[bytes.LastIndexByte(p, '/')+1:]
	return (bytes.HasPrefix(base, ldDash) || bytes.HasPrefix(base, ldDot) || bytes.HasPrefix(base, ld64)) &&
		bytes.Contains(base, dotSo)
}

var ldDash, ldDot, ld64, dotSo = []byte("ld-"), []byte("ld."), []byte("ld64."), []byte(".so")

// readFDLink reads the path of our descriptor fd into s.link.
func (s *Fanotify) readFDLink(fd int) (int, error) {
	s.scratch = append(s.scratch[:0], "/proc/self/fd/"...)
	s.scratch = strconv.AppendInt(s.scratch, int64(fd), 10)
	s.scratch = append(s.scratch, 0)
	return readlinkZ(s.scratch, s.link)
}
