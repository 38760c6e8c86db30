package es

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the .golden files of the fanotify decoder tests")

// describeRecords decodes b into one line per record, for golden files.
func describeRecords(b []byte) string {
	var out strings.Builder
	var d fanotifyDecoder
	var r fanotifyRecord
	d.reset(b)
	for {
		ok, err := d.next(&r)
		if !ok {
			break
		}
		if err != nil {
			fmt.Fprintf(&out, "error %v\n", err)
			continue
		}
		fmt.Fprintf(&out, "mask=%#x fd=%d pid=%d overflow=%v", r.Mask, r.FD, r.PID, r.Overflow())
		if len(r.DirKey) > 0 {
			fsid, _ := r.FSID()
			fmt.Fprintf(&out, " fsid=%#x dir=%s", fsid, hex.EncodeToString(r.DirHandle))
		}
		if len(r.Name) > 0 {
			fmt.Fprintf(&out, " name=%q", r.Name)
		}
		if len(r.FIDKey) > 0 {
			fmt.Fprintf(&out, " fid=%s", hex.EncodeToString(r.FIDKey[fanFSIDLen:]))
		}
		out.WriteString(" kinds=")
		for _, km := range fanKindMasks {
			if r.Mask&km.mask != 0 {
				out.WriteString(km.kind.String() + ",")
			}
		}
		out.WriteString("\n")
	}
	return out.String()
}

// TestFanotifyDecodeFixtures decodes bytes recorded from the kernel (see
// TestCaptureFanotifyFixtures; little-endian hosts) and compares them with
// the .golden files (go test -run TestFanotifyDecodeFixtures -update).
func TestFanotifyDecodeFixtures(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("fixtures were recorded on a little-endian host")
	}
	files, err := filepath.Glob(filepath.Join("testdata", "fanotify", "*.bin"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got := describeRecords(b)
			golden := strings.TrimSuffix(f, ".bin") + ".golden"
			if *updateGolden {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("decoded:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// Hand-built records for the properties the kernel fixtures cannot show.

func fanMeta(mask uint64, fd, pid int32, info ...[]byte) []byte {
	n := fanMetadataLen
	for _, i := range info {
		n += len(i)
	}
	b := make([]byte, fanMetadataLen, n)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(n))
	b[4] = fanMetadataVersion
	ne.PutUint16(b[6:], fanMetadataLen)
	ne.PutUint64(b[8:], mask)
	ne.PutUint32(b[16:], uint32(fd))
	ne.PutUint32(b[20:], uint32(pid))
	for _, i := range info {
		b = append(b, i...)
	}
	return b
}

func fanFIDInfo(typ byte, handle []byte, name string) []byte {
	body := make([]byte, fanFSIDLen+fanHandleHeaderLen, 64)
	ne := binary.NativeEndian
	ne.PutUint64(body[0:], 0x1122334455667788)
	ne.PutUint32(body[8:], uint32(len(handle)))
	ne.PutUint32(body[12:], 1)
	body = append(body, handle...)
	if typ == fanInfoDFIDName {
		body = append(body, name...)
		body = append(body, 0)
	}
	for (fanInfoHeaderLen+len(body))%4 != 0 {
		body = append(body, 0)
	}
	hdr := []byte{typ, 0, 0, 0}
	ne.PutUint16(hdr[2:], uint16(fanInfoHeaderLen+len(body)))
	return append(hdr, body...)
}

func TestFanotifyDecodeRecords(t *testing.T) {
	handle := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	good := fanMeta(fanModify|fanCloseWrite, fanNoFD, 42,
		fanFIDInfo(fanInfoDFIDName, handle, "file.txt"), fanFIDInfo(fanInfoFID, handle[:4], ""))
	pidfd := []byte{4, 0, 8, 0, 9, 0, 0, 0} // FAN_EVENT_INFO_TYPE_PIDFD: skipped
	overflow := fanMeta(fanQOverflow, fanNoFD, 0)

	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"dfid name and fid", good, `mask=0xa fd=-1 pid=42 overflow=false fsid=0x1122334455667788 dir=08000000010000000102030405060708 name="file.txt" fid=040000000100000001020304 kinds=write,close_modified,` + "\n"},
		{"unknown info skipped", fanMeta(fanCreate, fanNoFD, 7, pidfd, fanFIDInfo(fanInfoDFIDName, handle, "n")),
			`mask=0x100 fd=-1 pid=7 overflow=false fsid=0x1122334455667788 dir=08000000010000000102030405060708 name="n" kinds=create,` + "\n"},
		{"overflow", overflow, "mask=0x4000 fd=-1 pid=0 overflow=true kinds=\n"},
		{"fd mode", fanMeta(fanModify, 5, 9), "mask=0x2 fd=5 pid=9 overflow=false kinds=write,\n"},
		{"two records", append(append([]byte(nil), overflow...), overflow...), "mask=0x4000 fd=-1 pid=0 overflow=true kinds=\n" +
			"mask=0x4000 fd=-1 pid=0 overflow=true kinds=\n"},
		{"truncated metadata", good[:10], "error fanotify: truncated event\n"},
		{"event longer than buffer", good[:len(good)-4], "error fanotify: bad event length\n"},
		{"bad version then next record", append(func() []byte { b := bytes.Clone(overflow); b[4] = 2; return b }(), overflow...),
			"error fanotify: unsupported metadata version\nmask=0x4000 fd=-1 pid=0 overflow=true kinds=\n"},
		{"info length past end", func() []byte {
			b := bytes.Clone(good)
			binary.NativeEndian.PutUint16(b[fanMetadataLen+2:], 1000)
			return b
		}(), "error fanotify: bad info record length\n"},
		{"handle longer than record", func() []byte {
			b := bytes.Clone(good)
			binary.NativeEndian.PutUint32(b[fanMetadataLen+fanInfoHeaderLen+fanFSIDLen:], 100)
			return b
		}(), "error fanotify: bad file handle length\n"},
		{"name without NUL", fanMeta(fanCreate, fanNoFD, 1, func() []byte {
			i := fanFIDInfo(fanInfoDFIDName, handle, "abc")
			for k := fanInfoHeaderLen + fanFSIDLen + fanHandleHeaderLen + len(handle); k < len(i); k++ {
				i[k] = 'x'
			}
			return i
		}()), "error fanotify: name record without a name\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeRecords(tt.in); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestFanotifyDecodeDoesNotAllocate(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "fanotify", "fid_lifecycle.bin"))
	if err != nil {
		t.Fatal(err)
	}
	var d fanotifyDecoder
	var r fanotifyRecord
	allocs := testing.AllocsPerRun(100, func() {
		d.reset(b)
		for {
			ok, _ := d.next(&r)
			if !ok {
				break
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per buffer, want 0", allocs)
	}
}

// FuzzFanotifyRecords checks that no input makes the decoder panic, loop,
// or hand out slices outside the buffer.
func FuzzFanotifyRecords(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "fanotify", "*.bin"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Add(fanMeta(fanModify, fanNoFD, 1, fanFIDInfo(fanInfoDFIDName, []byte{1, 2, 3, 4}, "x")))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d fanotifyDecoder
		var r fanotifyRecord
		d.reset(b)
		for i := 0; ; i++ {
			if i > len(b) {
				t.Fatal("decoder does not make progress")
			}
			ok, err := d.next(&r)
			if !ok {
				break
			}
			if err != nil && !errors.Is(err, err) {
				t.Fatal(err)
			}
			if len(r.Name) > 0 && bytes.IndexByte(r.Name, 0) >= 0 {
				t.Fatalf("name holds a NUL: %q", r.Name)
			}
			if len(r.DirKey) > 0 && len(r.DirKey) != fanFSIDLen+fanHandleHeaderLen+int(binary.NativeEndian.Uint32(r.DirHandle)) {
				t.Fatal("directory key length disagrees with its handle")
			}
		}
	})
}
