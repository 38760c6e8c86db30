package es

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Mount is one line of /proc/self/mountinfo, reduced to what the fanotify
// source needs to choose filesystems.
type Mount struct {
	ID         int    // mount id
	Device     string // st_dev of the filesystem, "major:minor"
	MountPoint string // where it is mounted, unescaped
	FSType     string // filesystem type, with its subtype ("fuse.sshfs")
	Source     string // mount source ("/dev/vda", "tmpfs"), unescaped
	ReadOnly   bool   // the superblock (not just this mount) is read-only
}

// pseudoFSTypes are filesystems that hold no user files, or whose writes are
// not file activity estally reports. They are never marked.
var pseudoFSTypes = map[string]bool{
	"proc": true, "sysfs": true, "devtmpfs": true, "devpts": true,
	"cgroup": true, "cgroup2": true, "securityfs": true, "debugfs": true,
	"tracefs": true, "pstore": true, "bpf": true, "mqueue": true,
	"hugetlbfs": true, "configfs": true, "fusectl": true, "autofs": true,
	"binfmt_misc": true, "rpc_pipefs": true, "nsfs": true, "efivarfs": true,
	"selinuxfs": true, "ramfs": true, "squashfs": true, "iso9660": true,
	"pipefs": true, "sockfs": true, "anon_inodefs": true,
}

// DefaultExcludeFSTypes are the network and remote filesystems the fanotify
// source skips unless told otherwise: their writes happen elsewhere, and
// marking them can block on the network.
var DefaultExcludeFSTypes = []string{
	"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "ceph", "glusterfs",
	"lustre", "afs", "fuse.sshfs", "fuse.rclone", "virtiofs",
}

// MountFilter chooses the filesystems to watch among the mounts.
type MountFilter struct {
	// IncludeMounts, when not empty, keeps only these mount points.
	IncludeMounts []string
	// ExcludeMounts drops these mount points.
	ExcludeMounts []string
	// ExcludeFSTypes drops these filesystem types (in addition to the
	// pseudo filesystems, which are always dropped).
	ExcludeFSTypes []string
}

// ParseMountinfo parses the format of /proc/PID/mountinfo (see proc(5)).
func ParseMountinfo(r io.Reader) ([]Mount, error) {
	var mounts []Mount
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		m, err := parseMountinfoLine(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("mountinfo line %d: %w", line, err)
		}
		mounts = append(mounts, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading mountinfo: %w", err)
	}
	return mounts, nil
}

// parseMountinfoLine parses
// "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue".
func parseMountinfoLine(s string) (Mount, error) {
	fields := strings.Fields(s)
	sep := slices.Index(fields, "-")
	if sep < 6 || len(fields) < sep+4 {
		return Mount{}, fmt.Errorf("malformed line %q", s)
	}
	id, err := strconv.Atoi(fields[0])
	if err != nil {
		return Mount{}, fmt.Errorf("bad mount id %q: %w", fields[0], err)
	}
	if !strings.Contains(fields[2], ":") {
		return Mount{}, fmt.Errorf("bad device %q", fields[2])
	}
	m := Mount{
		ID:         id,
		Device:     fields[2],
		MountPoint: unescapeMountinfo(fields[4]),
		FSType:     fields[sep+1],
		Source:     unescapeMountinfo(fields[sep+2]),
	}
	for _, o := range strings.Split(fields[sep+3], ",") {
		if o == "ro" {
			m.ReadOnly = true
		}
	}
	return m, nil
}

// unescapeMountinfo undoes the kernel's octal escapes of space, tab,
// newline and backslash ("\040").
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Select returns the mounts to watch, one per filesystem: pseudo, excluded
// and read-only filesystems are dropped, a mount point hidden by a later
// mount on the same point is dropped, and of several mounts of one
// filesystem (bind mounts) the first kept one represents it. A filesystem
// mark covers every mount of its filesystem, so excluding one bind mount of
// a filesystem that is also mounted elsewhere does not stop its events.
func (f MountFilter) Select(mounts []Mount) []Mount {
	// The last mount on a mount point hides the earlier ones.
	top := make(map[string]int, len(mounts))
	for i, m := range mounts {
		top[m.MountPoint] = i
	}
	seen := map[string]bool{}
	var out []Mount
	for i, m := range mounts {
		switch {
		case top[m.MountPoint] != i,
			pseudoFSTypes[m.FSType],
			m.ReadOnly,
			slices.Contains(f.ExcludeFSTypes, m.FSType),
			slices.Contains(f.ExcludeMounts, m.MountPoint),
			len(f.IncludeMounts) > 0 && !slices.Contains(f.IncludeMounts, m.MountPoint),
			seen[m.Device]:
			continue
		}
		seen[m.Device] = true
		out = append(out, m)
	}
	return out
}
