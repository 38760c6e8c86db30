package summary

import "slices"

// peerCred is what the kernel tells about the process at the other end of a
// Unix socket, as of its connect(2).
type peerCred struct {
	UID uint32
	// GIDs holds the peer's primary group (Linux) or its groups (darwin).
	GIDs []uint32
	// PID is the peer's process id, or 0 when unknown.
	PID int32
}

// allowed reports whether c matches one of the uids or gids.
func (c peerCred) allowed(uids, gids []uint32) bool {
	if slices.Contains(uids, c.UID) {
		return true
	}
	for _, g := range c.GIDs {
		if slices.Contains(gids, g) {
			return true
		}
	}
	return false
}
