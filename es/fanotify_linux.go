package es

import (
	"errors"
	"fmt"
	"slices"
	"unsafe"

	"golang.org/x/sys/unix"
)

// This file is the only one calling the fanotify and open_by_handle_at APIs.

// fanGroup is one fanotify group: a notification-class queue in one
// reporting mode, and the filesystems marked on it. The queue keeps its
// default bound (never FAN_UNLIMITED_QUEUE): overflow is counted instead of
// turning into unbounded kernel memory.
type fanGroup struct {
	fd     int
	fid    bool   // FAN_REPORT_DFID_NAME; else an open file per event
	mask   uint64 // the events marked
	marked []string
}

// newFanGroup creates a group. In FID mode (fid) events name the parent
// directory by file handle and the entry by name; without, the kernel opens
// each file for the reader, and only modify and close-write exist.
func newFanGroup(fid bool) (*fanGroup, error) {
	flags := uint(unix.FAN_CLASS_NOTIF | unix.FAN_CLOEXEC | unix.FAN_NONBLOCK)
	mask := uint64(unix.FAN_MODIFY | unix.FAN_CLOSE_WRITE | unix.FAN_OPEN_EXEC)
	if fid {
		// The directory handle and entry name only (no FAN_REPORT_FID): the
		// file's own handle is not needed to name it, and without it a
		// file's create, writes, close and delete carry identical info, so
		// the kernel merges them into one record while they queue. A path
		// scan then costs one record per file instead of two. FAN_ONDIR
		// brings directory renames, which invalidate cached paths.
		flags |= unix.FAN_REPORT_DFID_NAME
		mask |= unix.FAN_CREATE | unix.FAN_DELETE | unix.FAN_MOVED_FROM | unix.FAN_ONDIR
	}
	fd, err := unix.FanotifyInit(flags, unix.O_RDONLY|unix.O_LARGEFILE|unix.O_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &fanGroup{fd: fd, fid: fid, mask: mask}, nil
}

// mark marks the whole filesystem mounted at path.
func (g *fanGroup) mark(path string) error {
	err := unix.FanotifyMark(g.fd, unix.FAN_MARK_ADD|unix.FAN_MARK_FILESYSTEM, g.mask, unix.AT_FDCWD, path)
	if errors.Is(err, unix.EINVAL) && g.mask&unix.FAN_OPEN_EXEC != 0 {
		g.mask &^= unix.FAN_OPEN_EXEC // before Linux 5.0
		err = unix.FanotifyMark(g.fd, unix.FAN_MARK_ADD|unix.FAN_MARK_FILESYSTEM, g.mask, unix.AT_FDCWD, path)
	}
	if err == nil {
		g.marked = append(g.marked, path)
	}
	return err
}

// unmarked forgets the filesystem mounted at path, whose mark the kernel
// dropped when it was unmounted.
func (g *fanGroup) unmarked(path string) {
	if i := slices.Index(g.marked, path); i >= 0 {
		g.marked = slices.Delete(g.marked, i, i+1)
	}
}

// read reads one buffer of events without blocking; it returns 0 when the
// queue is empty.
func (g *fanGroup) read(buf []byte) (int, error) {
	for {
		n, err := unix.Read(g.fd, buf)
		switch err {
		case nil:
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, nil
		default:
			return 0, fmt.Errorf("fanotify read: %w", err)
		}
	}
}

// close removes the group's marks and closes it.
func (g *fanGroup) close() error {
	var err error
	if len(g.marked) > 0 {
		if ferr := unix.FanotifyMark(g.fd, unix.FAN_MARK_FLUSH|unix.FAN_MARK_FILESYSTEM, 0, unix.AT_FDCWD, "/"); ferr != nil {
			err = fmt.Errorf("fanotify: removing marks: %w", ferr)
		}
	}
	if cerr := unix.Close(g.fd); cerr != nil && err == nil {
		err = fmt.Errorf("fanotify: %w", cerr)
	}
	return err
}

// openByHandle opens, with O_PATH, the file named by handle (a struct
// file_handle exactly as fanotify reports it) on the filesystem mounted at
// mnt (a NUL-terminated path). It does not allocate.
func openByHandle(mnt, handle []byte) (int, error) {
	// Not O_PATH for the mount: open_by_handle_at refuses such descriptors.
	mfd, _, errno := unix.Syscall6(unix.SYS_OPENAT, atFDCWD, uintptr(unsafe.Pointer(&mnt[0])),
		uintptr(unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC), 0, 0, 0)
	if errno != 0 {
		return -1, errno
	}
	defer unix.Close(int(mfd))
	fd, _, errno := unix.Syscall(unix.SYS_OPEN_BY_HANDLE_AT, mfd, uintptr(unsafe.Pointer(&handle[0])),
		uintptr(unix.O_PATH|unix.O_CLOEXEC))
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}
