package summary

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// peerCredentials returns the credentials of c's peer, read with SO_PEERCRED.
func peerCredentials(c *net.UnixConn) (peerCred, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return peerCred{}, fmt.Errorf("peer credentials: %w", err)
	}
	var uc *unix.Ucred
	var gerr error
	if err := raw.Control(func(fd uintptr) {
		uc, gerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return peerCred{}, fmt.Errorf("peer credentials: %w", err)
	}
	if gerr != nil {
		return peerCred{}, fmt.Errorf("peer credentials: SO_PEERCRED: %w", gerr)
	}
	return peerCred{UID: uc.Uid, GIDs: []uint32{uc.Gid}, PID: uc.Pid}, nil
}
