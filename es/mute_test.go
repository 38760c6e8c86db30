package es

import "testing"

func TestMute(t *testing.T) {
	stats := NewStats("test")
	m := NewMute(MuteConfig{
		PIDs:         []int32{7},
		Executables:  []string{"/usr/bin/backup", ""},
		PathPrefixes: []string{"/var/log/", "/tmp/x", ""},
	}, stats)
	tests := []struct {
		pid       int32
		exe, path string
		muted     bool
	}{
		{7, "/bin/sh", "/home/a", true},
		{8, "/usr/bin/backup", "/home/a", true},
		{8, "/usr/bin/backup2", "/home/a", false},
		{8, "/bin/sh", "/var/log", true},
		{8, "/bin/sh", "/var/log/syslog", true},
		{8, "/bin/sh", "/var/logs", false},
		{8, "/bin/sh", "/tmp/x/y", true},
		{8, "/bin/sh", "/tmp/xy", false},
		{8, "/bin/sh", "/home/a", false},
	}
	var want uint64
	for _, tt := range tests {
		ev := &Event{PID: tt.pid, Executable: []byte(tt.exe), Path: []byte(tt.path)}
		if got := m.Drop(ev); got != tt.muted {
			t.Errorf("Drop(%d %s %s) = %v, want %v", tt.pid, tt.exe, tt.path, got, tt.muted)
		}
		if tt.muted {
			want++
		}
	}
	if got := stats.Muted.Load(); got != want {
		t.Errorf("Muted = %d, want %d", got, want)
	}
	var seen int
	sink := m.Wrap(SinkFunc(func(*Event) { seen++ }))
	sink.Observe(&Event{PID: 7})
	sink.Observe(&Event{PID: 9, Path: []byte("/home/a")})
	if seen != 1 {
		t.Errorf("Wrap passed %d events, want 1", seen)
	}
}

func TestMuteDoesNotAllocate(t *testing.T) {
	m := NewMute(MuteConfig{PIDs: []int32{1}, Executables: []string{"/a"}, PathPrefixes: []string{"/p"}}, NewStats("t"))
	ev := &Event{PID: 2, Executable: []byte("/b"), Path: []byte("/p/q")}
	if n := testing.AllocsPerRun(100, func() { m.Drop(ev) }); n != 0 {
		t.Errorf("%v allocations per event", n)
	}
}
