package summary

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// peerCredentials returns the credentials of c's peer, read with
// LOCAL_PEERCRED (the xucred getpeereid(3) is built on) and LOCAL_PEERPID.
func peerCredentials(c *net.UnixConn) (peerCred, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return peerCred{}, fmt.Errorf("peer credentials: %w", err)
	}
	var xc *unix.Xucred
	var pid int
	var gerr error
	if err := raw.Control(func(fd uintptr) {
		xc, gerr = unix.GetsockoptXucred(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
		if gerr == nil {
			pid, _ = unix.GetsockoptInt(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERPID)
		}
	}); err != nil {
		return peerCred{}, fmt.Errorf("peer credentials: %w", err)
	}
	if gerr != nil {
		return peerCred{}, fmt.Errorf("peer credentials: LOCAL_PEERCRED: %w", gerr)
	}
	n := max(0, min(int(xc.Ngroups), len(xc.Groups)))
	return peerCred{UID: xc.Uid, GIDs: append([]uint32(nil), xc.Groups[:n]...), PID: int32(pid)}, nil
}
