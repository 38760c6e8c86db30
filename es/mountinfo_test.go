package es

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readMountinfoFixture(t *testing.T) []Mount {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "fanotify", "mountinfo.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ParseMountinfo(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseMountinfo(t *testing.T) {
	mounts := readMountinfoFixture(t)
	if len(mounts) != 13 {
		t.Fatalf("parsed %d mounts, want 13", len(mounts))
	}
	want := Mount{ID: 52, Device: "254:16", MountPoint: "/home/with space", FSType: "xfs", Source: "/dev/vdb"}
	if got := mounts[10]; got != want {
		t.Errorf("escaped mount = %+v, want %+v", got, want)
	}
	if !mounts[5].ReadOnly || mounts[4].ReadOnly {
		t.Errorf("read-only flags wrong: %+v %+v", mounts[5], mounts[4])
	}
}

func TestParseMountinfoErrors(t *testing.T) {
	for _, in := range []string{
		"garbage",
		"x 27 0:21 / /proc rw - proc proc rw",
		"22 27 021 / /proc rw - proc proc rw",
		"22 27 0:21 / /proc rw proc proc rw",
	} {
		if _, err := ParseMountinfo(strings.NewReader(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestMountFilterSelect(t *testing.T) {
	mounts := readMountinfoFixture(t)
	points := func(ms []Mount) []string {
		var p []string
		for _, m := range ms {
			p = append(p, m.MountPoint)
		}
		return p
	}
	tests := []struct {
		name   string
		filter MountFilter
		want   []string
	}{
		// /dev/shm: the later mount hides the earlier; /data is a bind mount
		// of the root filesystem; /mnt/ro is read-only.
		{"defaults", MountFilter{ExcludeFSTypes: DefaultExcludeFSTypes},
			[]string{"/", "/dev/shm", "/home/with space", "/mnt/vdc"}},
		{"no fstype exclusions", MountFilter{},
			[]string{"/", "/dev/shm", "/mnt/nas", "/home/with space", "/mnt/fuse", "/mnt/vdc"}},
		{"include", MountFilter{IncludeMounts: []string{"/", "/proc", "/mnt/vdc"}}, []string{"/", "/mnt/vdc"}},
		{"exclude mount and type", MountFilter{ExcludeMounts: []string{"/dev/shm"}, ExcludeFSTypes: []string{"btrfs", "nfs4", "fuse.sshfs"}},
			[]string{"/", "/home/with space"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := points(tt.filter.Select(mounts)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParseMountinfo(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "fanotify", "mountinfo.txt")); err == nil {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		mounts, err := ParseMountinfo(strings.NewReader(s))
		if err == nil {
			MountFilter{}.Select(mounts)
		}
	})
}
