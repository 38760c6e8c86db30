package es

import (
	"encoding/binary"
	"errors"
)

// The fanotify wire format (include/uapi/linux/fanotify.h), repeated here so
// that the decoder builds, and is tested and fuzzed, on every OS. Records are
// in the host's byte order.
const (
	fanMetadataVersion = 3  // FANOTIFY_METADATA_VERSION
	fanMetadataLen     = 24 // sizeof(struct fanotify_event_metadata)
	fanInfoHeaderLen   = 4  // sizeof(struct fanotify_event_info_header)
	fanFSIDLen         = 8  // sizeof(__kernel_fsid_t)
	fanHandleHeaderLen = 8  // struct file_handle: handle_bytes, handle_type
	fanMaxHandleBytes  = 128

	fanInfoFID      = 1 // FAN_EVENT_INFO_TYPE_FID
	fanInfoDFIDName = 2 // FAN_EVENT_INFO_TYPE_DFID_NAME
	fanInfoDFID     = 3 // FAN_EVENT_INFO_TYPE_DFID

	fanModify     = 0x00000002 // FAN_MODIFY
	fanCloseWrite = 0x00000008 // FAN_CLOSE_WRITE
	fanMovedFrom  = 0x00000040 // FAN_MOVED_FROM
	fanMovedTo    = 0x00000080 // FAN_MOVED_TO
	fanCreate     = 0x00000100 // FAN_CREATE
	fanDelete     = 0x00000200 // FAN_DELETE
	fanOpenExec   = 0x00001000 // FAN_OPEN_EXEC
	fanQOverflow  = 0x00004000 // FAN_Q_OVERFLOW
	fanOnDir      = 0x40000000 // FAN_ONDIR

	fanNoFD = -1 // FAN_NOFD
)

// fanKindMasks maps each fanotify mask bit estally requests to the kind it
// reports, in the order a merged record is expanded into events.
//
// fanotify has no truncate event: truncate(2), ftruncate(2) and open with
// O_TRUNC raise FAN_MODIFY, so they arrive as [KindWrite]. A rename raises
// FAN_MOVED_FROM (reported, with the source path, as [KindRename]) and
// FAN_MOVED_TO, which estally does not request so that a rename counts once.
var fanKindMasks = [...]struct {
	mask uint64
	kind Kind
}{
	{fanCreate, KindCreate},
	{fanModify, KindWrite},
	{fanCloseWrite, KindCloseModified},
	{fanMovedFrom, KindRename},
	{fanDelete, KindUnlink},
}

// Decoding errors. They are values, so reporting one allocates nothing.
var (
	errFanTruncated   = errors.New("fanotify: truncated event")
	errFanVersion     = errors.New("fanotify: unsupported metadata version")
	errFanEventLen    = errors.New("fanotify: bad event length")
	errFanInfoLen     = errors.New("fanotify: bad info record length")
	errFanHandleLen   = errors.New("fanotify: bad file handle length")
	errFanUnnamedInfo = errors.New("fanotify: name record without a name")
)

// fanotifyRecord is one decoded fanotify event. Its byte slices alias the
// read buffer and are valid until the buffer is reused.
type fanotifyRecord struct {
	Mask uint64
	FD   int32 // an open file in fd mode; fanNoFD in FID mode
	PID  int32

	// DirKey is the parent directory's identity from a DFID_NAME or DFID
	// record: the 8-byte fsid immediately followed by the struct file_handle
	// (handle_bytes, handle_type, f_handle), exactly as the kernel wrote it.
	// DirHandle is the struct file_handle part of it. Empty when absent.
	DirKey    []byte
	DirHandle []byte
	// Name is the directory entry's name from a DFID_NAME record, without
	// its terminating NUL. Empty when absent.
	Name []byte
	// FIDKey is the object's own identity from an FID record (fsid followed
	// by the struct file_handle). Empty when absent.
	FIDKey []byte
}

// Overflow reports whether the record is a queue-overflow notice.
func (r *fanotifyRecord) Overflow() bool { return r.Mask&fanQOverflow != 0 }

// FSID returns the fsid of the directory handle, or false if there is none.
func (r *fanotifyRecord) FSID() (uint64, bool) {
	if len(r.DirKey) < fanFSIDLen {
		return 0, false
	}
	return binary.NativeEndian.Uint64(r.DirKey), true
}

// fanotifyDecoder walks the events in one buffer returned by read(2) on a
// fanotify descriptor. It never allocates.
type fanotifyDecoder struct {
	buf []byte
}

// reset makes the decoder walk b.
func (d *fanotifyDecoder) reset(b []byte) { d.buf = b }

// next decodes the next event into r. It returns false when the buffer is
// exhausted. A malformed event yields an error; decoding goes on with the
// following event when the malformed one's length could be trusted, and
// stops (next returns false) otherwise.
func (d *fanotifyDecoder) next(r *fanotifyRecord) (bool, error) {
	*r = fanotifyRecord{FD: fanNoFD}
	if len(d.buf) == 0 {
		return false, nil
	}
	if len(d.buf) < fanMetadataLen {
		d.buf = nil
		return true, errFanTruncated
	}
	ne := binary.NativeEndian
	eventLen := int(ne.Uint32(d.buf[0:4]))
	vers := d.buf[4]
	metaLen := int(ne.Uint16(d.buf[6:8]))
	if eventLen < fanMetadataLen || eventLen > len(d.buf) || metaLen < fanMetadataLen || metaLen > eventLen {
		d.buf = nil
		return true, errFanEventLen
	}
	ev := d.buf[:eventLen]
	d.buf = d.buf[eventLen:]
	if vers != fanMetadataVersion {
		return true, errFanVersion
	}
	r.Mask = ne.Uint64(ev[8:16])
	r.FD = int32(ne.Uint32(ev[16:20]))
	r.PID = int32(ne.Uint32(ev[20:24]))
	return true, decodeFanInfo(ev[metaLen:], r)
}

// decodeFanInfo decodes the info records that follow an event's metadata.
// Record types estally does not use (pidfd, error, range, mount) are skipped.
func decodeFanInfo(b []byte, r *fanotifyRecord) error {
	ne := binary.NativeEndian
	for len(b) > 0 {
		if len(b) < fanInfoHeaderLen {
			return errFanInfoLen
		}
		typ := b[0]
		n := int(ne.Uint16(b[2:4]))
		if n < fanInfoHeaderLen || n > len(b) {
			return errFanInfoLen
		}
		rec := b[fanInfoHeaderLen:n]
		b = b[n:]
		switch typ {
		case fanInfoFID, fanInfoDFIDName, fanInfoDFID:
		default:
			continue
		}
		if len(rec) < fanFSIDLen+fanHandleHeaderLen {
			return errFanHandleLen
		}
		hb := int(ne.Uint32(rec[fanFSIDLen:]))
		end := fanFSIDLen + fanHandleHeaderLen + hb
		if hb == 0 || hb > fanMaxHandleBytes || end > len(rec) {
			return errFanHandleLen
		}
		key := rec[:end:end]
		switch typ {
		case fanInfoFID:
			r.FIDKey = key
		case fanInfoDFID:
			r.DirKey, r.DirHandle = key, key[fanFSIDLen:]
		case fanInfoDFIDName:
			r.DirKey, r.DirHandle = key, key[fanFSIDLen:]
			name := rec[end:]
			i := 0
			for i < len(name) && name[i] != 0 {
				i++
			}
			if i == 0 || i == len(name) {
				return errFanUnnamedInfo
			}
			r.Name = name[:i:i]
		}
	}
	return nil
}
