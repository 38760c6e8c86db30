package es

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// ErrNoCapSysAdmin says the process lacks CAP_SYS_ADMIN, which fanotify
// filesystem marks need.
var ErrNoCapSysAdmin = errors.New("CAP_SYS_ADMIN is missing from the effective capability set (run as root, or grant it, e.g. systemd AmbientCapabilities=CAP_SYS_ADMIN CAP_DAC_READ_SEARCH)")

// FanotifyProbe reports whether the fanotify source can run here: nil when
// the process has CAP_SYS_ADMIN in its effective set, else an error; without the capability it
// is [ErrNoCapSysAdmin].
func FanotifyProbe() error {
	ok, err := hasEffectiveCap(unix.CAP_SYS_ADMIN)
	if err != nil {
		return fmt.Errorf("reading capabilities: %w", err)
	}
	if !ok {
		return ErrNoCapSysAdmin
	}
	return nil
}

// hasEffectiveCap reports whether capability c is in the calling thread's
// effective set.
func hasEffectiveCap(c int) (bool, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false, err
	}
	return data[c/32].Effective&(1<<(uint(c)%32)) != 0, nil
}
