package es

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// The kernel process connector (include/uapi/linux/cn_proc.h, connector.h).
const (
	cnIdxProc         = 1 // CN_IDX_PROC
	cnValProc         = 1 // CN_VAL_PROC
	procCnMcastListen = 1 // PROC_CN_MCAST_LISTEN
	procCnMcastIgnore = 2 // PROC_CN_MCAST_IGNORE
	procEventFork     = 0x00000001
	procEventExec     = 0x00000002

	nlmsgHdrLen   = 16
	cnMsgLen      = 20 // struct cn_msg without data
	procEventHead = 16 // what, cpu, timestamp_ns

	reasonProcConnOverflow = "proc_connector_overflow"
)

// procConn learns executables at exec time from the netlink process
// connector, so that processes which exit before the fanotify source reads
// their events (a cp, a shell redirect) are still attributed. It is the only
// file that uses the process connector. It needs CAP_NET_ADMIN.
//
// Its reader runs on a dedicated OS thread blocked in recvfrom(2), not on
// the network poller: the exec of a short-lived process must be handled
// before the process exits, which can be a fraction of a millisecond later.
type procConn struct {
	fd       int
	ident    *procIdent
	overflow *Counter
	buf      []byte
	scratch  procScratch
	closing  atomic.Bool
	done     chan struct{}
}

// procConnPollInterval bounds how long the reader takes to notice shutdown.
const procConnPollInterval = 100 * time.Millisecond

// openProcConn subscribes to process events for ident.
func openProcConn(ident *procIdent, stats *Stats) (*procConn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_CONNECTOR)
	if err != nil {
		return nil, fmt.Errorf("process connector socket: %w", err)
	}
	// A fork storm must not cost exec events: make the receive queue large
	// (SO_RCVBUFFORCE needs CAP_NET_ADMIN, which subscribing needs anyway).
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 8<<20)
	}
	tv := unix.NsecToTimeval(procConnPollInterval.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("process connector timeout: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: cnIdxProc}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("process connector bind: %w", err)
	}
	if err := sendProcConnOp(fd, procCnMcastListen); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("process connector subscribe: %w", err)
	}
	return &procConn{
		fd: fd, ident: ident, overflow: stats.Errors(reasonProcConnOverflow),
		buf: make([]byte, 64<<10), scratch: newProcScratch(), done: make(chan struct{}),
	}, nil
}

func sendProcConnOp(fd int, op uint32) error {
	var msg [nlmsgHdrLen + cnMsgLen + 4]byte
	ne := binary.NativeEndian
	ne.PutUint32(msg[0:], uint32(len(msg)))
	ne.PutUint16(msg[4:], unix.NLMSG_DONE)
	ne.PutUint32(msg[12:], uint32(os.Getpid()))
	ne.PutUint32(msg[16:], cnIdxProc)
	ne.PutUint32(msg[20:], cnValProc)
	ne.PutUint16(msg[32:], 4) // cn_msg.len
	ne.PutUint32(msg[36:], op)
	return unix.Sendto(fd, msg[:], 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
}

// run feeds process events to the resolver until ctx is done or close is
// called; it then unsubscribes and closes the socket.
func (c *procConn) run(ctx context.Context) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer close(c.done)
	defer func() {
		_ = sendProcConnOp(c.fd, procCnMcastIgnore)
		unix.Close(c.fd)
	}()
	fork := c.ident.learnFork
	exec := func(pid int32) { c.ident.learnExec(pid, &c.scratch) }
	for !c.closing.Load() && ctx.Err() == nil {
		n, _, err := unix.Recvfrom(c.fd, c.buf, 0)
		switch err {
		case nil:
			parseProcEvents(c.buf[:n], fork, exec)
		case unix.EAGAIN, unix.EINTR:
		case unix.ENOBUFS:
			c.overflow.Inc() // events lost: some executables are learned late
		default:
			return fmt.Errorf("process connector receive: %w", err)
		}
	}
	return nil
}

// close stops run (within procConnPollInterval) and waits for it, if it was
// started.
func (c *procConn) close(started bool) {
	c.closing.Store(true)
	if started {
		<-c.done
		return
	}
	unix.Close(c.fd)
}

// parseProcEvents calls fork for each new process (not thread) and exec for
// each execve in one datagram from the process connector. Malformed input is
// ignored.
func parseProcEvents(b []byte, fork func(parent, child int32), exec func(pid int32)) {
	ne := binary.NativeEndian
	for len(b) >= nlmsgHdrLen {
		n := int(ne.Uint32(b[0:4]))
		if n < nlmsgHdrLen || n > len(b) {
			return
		}
		msg := b[nlmsgHdrLen:n]
		b = b[min((n+3)&^3, len(b)):]
		if len(msg) < cnMsgLen+procEventHead+8 || ne.Uint32(msg[0:4]) != cnIdxProc {
			continue
		}
		ev := msg[cnMsgLen:]
		data := ev[procEventHead:]
		switch ne.Uint32(ev[0:4]) {
		case procEventFork:
			if len(data) < 16 {
				continue
			}
			parentTgid := int32(ne.Uint32(data[4:8]))
			childPid, childTgid := int32(ne.Uint32(data[8:12])), int32(ne.Uint32(data[12:16]))
			if childPid == childTgid {
				fork(parentTgid, childTgid)
			}
		case procEventExec:
			exec(int32(ne.Uint32(data[4:8])))
		}
	}
}
