package es

import (
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// This file holds the allocation-free /proc accessors the Linux sources use
// on their hot paths: the path arguments are NUL-terminated byte slices the
// caller reuses, where the unix package would allocate a C string per call.

// fdcwd is AT_FDCWD.
var fdcwd = int64(unix.AT_FDCWD)

// atFDCWD is fdcwd as a system-call argument.
var atFDCWD = uintptr(fdcwd)

// readlinkZ reads the symbolic link at path (NUL-terminated) into buf and
// returns the length of the target.
func readlinkZ(path, buf []byte) (int, error) {
	n, _, errno := unix.Syscall6(unix.SYS_READLINKAT, atFDCWD,
		uintptr(unsafe.Pointer(&path[0])), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// readFileZ reads up to len(buf) bytes of the file at path (NUL-terminated)
// and returns how many it read.
func readFileZ(path, buf []byte) (int, error) {
	fd, _, errno := unix.Syscall6(unix.SYS_OPENAT, atFDCWD,
		uintptr(unsafe.Pointer(&path[0])), uintptr(unix.O_RDONLY|unix.O_CLOEXEC), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	defer unix.Close(int(fd))
	total := 0
	for total < len(buf) {
		n, err := unix.Read(int(fd), buf[total:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return total, err
		}
		if n == 0 {
			break
		}
		total += n
	}
	return total, nil
}

// appendProcPath appends "/proc/<pid>/<leaf>" and a NUL to dst.
func appendProcPath(dst []byte, pid int32, leaf string) []byte {
	dst = append(dst, "/proc/"...)
	dst = strconv.AppendInt(dst, int64(pid), 10)
	dst = append(dst, '/')
	dst = append(dst, leaf...)
	return append(dst, 0)
}
