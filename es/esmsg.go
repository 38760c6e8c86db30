package es

// This file decodes Endpoint Security messages (es_message_t and the
// structures it points to) from memory, at the offsets of the macOS 15/26
// SDK headers for LP64 (darwin arm64 and amd64). It calls no OS API: the
// memory is read through an esMemory, which is raw process memory inside
// the ES handler (rawMemory) and a bounds-checked byte slice in tests and
// fuzzing (sliceMemory), so everything here runs on any platform.

// es_message_t field offsets.
const (
	msgVersion      = 0
	msgProcess      = 40
	msgSeqNum       = 48  // version >= 2
	msgEventType    = 96  //
	msgEvent        = 104 // es_events_t union
	msgGlobalSeqNum = 216 // version >= 4
)

// es_process_t field offsets.
const (
	procAuditToken = 0
	procPID        = procAuditToken + 5*4 // audit_token_t val[5]
	procSigningID  = 80
	procTeamID     = 96
	procExecutable = 112
)

// es_file_t and es_string_token_t offsets.
const (
	filePath          = 0
	filePathTruncated = 16
	tokenLength       = 0
	tokenData         = 8
)

// Event struct offsets, absolute within the message (union start + field).
const (
	evTarget            = msgEvent     // write, truncate, unlink: es_file_t *target
	evCloseModified     = msgEvent     // close: bool modified
	evCloseTarget       = msgEvent + 8 // close: es_file_t *target
	evCloseMappedWrite  = msgEvent + 16
	evCreateDestType    = msgEvent     // create: es_destination_type_t
	evCreateDest        = msgEvent + 8 // existing_file, or new_path.dir
	evCreateFilename    = msgEvent + 16
	evRenameSource      = msgEvent // rename: es_file_t *source
	evRenameDestType    = msgEvent + 8
	evRenameDest        = msgEvent + 16 // existing_file, or new_path.dir
	evRenameFilename    = msgEvent + 24
	msgVersionSeqNum    = 2
	msgVersionGlobalSeq = 4
	msgVersionMappedW   = 6
)

// esMaxString bounds a string read from a message. ES truncates paths at
// 16K (and says so with path_truncated); anything longer is treated as a
// truncated path rather than trusted.
const esMaxString = 64 << 10

// esMemory reads C structures at address p plus a byte offset. A read that
// cannot be done (outside the memory a sliceMemory holds) returns false.
// P is the address type: unsafe.Pointer for raw memory, a uint64 virtual
// address for a byte slice.
type esMemory[P any] interface {
	u8(p P, off uintptr) (uint8, bool)
	u32(p P, off uintptr) (uint32, bool)
	u64(p P, off uintptr) (uint64, bool)
	// ptr reads a pointer field.
	ptr(p P, off uintptr) (P, bool)
	// isNil reports whether p is NULL.
	isNil(p P) bool
	// bytes returns the n bytes at p, without copying where possible.
	bytes(p P, n uint64) ([]byte, bool)
}

// esDecoded is one decoded message. Its byte slices point into the message
// or into the decoder's buffers, valid until the next decode (and, for raw
// memory, only while the message is).
type esDecoded struct {
	version           uint32
	eventType         uint32
	seq, global       uint64
	hasSeq, hasGlobal bool
	// known is true for the event types estally folds; fold is true when
	// the message becomes an Event (a close only when modified).
	known, fold       bool
	modified          bool
	wasMappedWritable bool // close, version >= 6
	pathTruncated     bool
	ev                Event
	dest              []byte // rename destination
}

// esDecoder decodes messages without allocating once its buffers have
// grown. It is not safe for concurrent use.
type esDecoder struct {
	out              esDecoded
	pathBuf, destBuf []byte
}

// decodeESMessage decodes the message at msg. It returns "" on success
// (including for event types estally does not fold: out.known is false)
// and ReasonMalformedMessage when a required field cannot be read.
func decodeESMessage[P any, M esMemory[P]](d *esDecoder, m M, msg P) string {
	o := &d.out
	*o = esDecoded{}
	var ok bool
	if o.version, ok = m.u32(msg, msgVersion); !ok {
		return ReasonMalformedMessage
	}
	if o.eventType, ok = m.u32(msg, msgEventType); !ok {
		return ReasonMalformedMessage
	}
	if o.version >= msgVersionSeqNum {
		if o.seq, ok = m.u64(msg, msgSeqNum); !ok {
			return ReasonMalformedMessage
		}
		o.hasSeq = true
	}
	if o.version >= msgVersionGlobalSeq {
		if o.global, ok = m.u64(msg, msgGlobalSeqNum); !ok {
			return ReasonMalformedMessage
		}
		o.hasGlobal = true
	}
	kind, known := kindOfType(o.eventType)
	if !known {
		return ""
	}
	o.known = true
	if r := decodeProcess(o, m, msg); r != "" {
		return r
	}
	var r string
	switch o.eventType {
	case esEventNotifyWrite, esEventNotifyTruncate, esEventNotifyUnlink:
		r = fileAt(d, m, msg, evTarget, &o.ev.Path)
	case esEventNotifyClose:
		var mod uint8
		if mod, ok = m.u8(msg, evCloseModified); !ok {
			return ReasonMalformedMessage
		}
		o.modified = mod != 0
		if o.version >= msgVersionMappedW {
			if mod, ok = m.u8(msg, evCloseMappedWrite); !ok {
				return ReasonMalformedMessage
			}
			o.wasMappedWritable = mod != 0
		}
		r = fileAt(d, m, msg, evCloseTarget, &o.ev.Path)
	case esEventNotifyCreate:
		r = decodeDestination(d, m, msg, evCreateDestType, evCreateDest, evCreateFilename, &d.pathBuf, &o.ev.Path)
	case esEventNotifyRename:
		if r = fileAt(d, m, msg, evRenameSource, &o.ev.Path); r == "" {
			r = decodeDestination(d, m, msg, evRenameDestType, evRenameDest, evRenameFilename, &d.destBuf, &o.dest)
		}
	}
	if r != "" {
		return r
	}
	o.ev.Kind = kind
	o.fold = o.eventType != esEventNotifyClose || o.modified
	switch {
	case o.hasGlobal:
		o.ev.Seq = o.global
	case o.hasSeq:
		o.ev.Seq = o.seq
	}
	return ""
}

// decodeProcess reads the acting process: pid, signing id, team id and
// executable path.
func decodeProcess[P any, M esMemory[P]](o *esDecoded, m M, msg P) string {
	proc, ok := m.ptr(msg, msgProcess)
	if !ok || m.isNil(proc) {
		return ReasonMalformedMessage
	}
	pid, ok := m.u32(proc, procPID)
	if !ok {
		return ReasonMalformedMessage
	}
	o.ev.PID = int32(pid)
	if o.ev.SigningID, _, ok = readToken(m, proc, procSigningID); !ok {
		return ReasonMalformedMessage
	}
	if o.ev.TeamID, _, ok = readToken(m, proc, procTeamID); !ok {
		return ReasonMalformedMessage
	}
	exe, ok := m.ptr(proc, procExecutable)
	if !ok {
		return ReasonMalformedMessage
	}
	o.ev.Executable = unknownExecutable
	if !m.isNil(exe) {
		path, trunc, ok := readFile(m, exe)
		if !ok {
			return ReasonMalformedMessage
		}
		if len(path) > 0 {
			o.ev.Executable = path
		}
		o.pathTruncated = o.pathTruncated || trunc
	}
	return ""
}

// fileAt reads the es_file_t pointer at msg+off and stores its path in
// *dst. A NULL file is a malformed message: every folded event's target
// is nonnull.
func fileAt[P any, M esMemory[P]](d *esDecoder, m M, msg P, off uintptr, dst *[]byte) string {
	f, ok := m.ptr(msg, off)
	if !ok || m.isNil(f) {
		return ReasonMalformedMessage
	}
	path, trunc, ok := readFile(m, f)
	if !ok || len(path) == 0 {
		return ReasonMalformedMessage
	}
	d.out.pathTruncated = d.out.pathTruncated || trunc
	*dst = path
	return ""
}

// readFile reads an es_file_t's path and truncation flag.
func readFile[P any, M esMemory[P]](m M, f P) (path []byte, truncated, ok bool) {
	path, tokTrunc, ok := readToken(m, f, filePath)
	if !ok {
		return nil, false, false
	}
	flag, ok := m.u8(f, filePathTruncated)
	if !ok {
		return nil, false, false
	}
	return path, flag != 0 || tokTrunc, true
}

// readToken reads the es_string_token_t at p+off, by its length (the data
// need not be NUL-terminated). An overlong string is cut at esMaxString and
// reported as truncated.
func readToken[P any, M esMemory[P]](m M, p P, off uintptr) (s []byte, truncated, ok bool) {
	n, ok := m.u64(p, off+tokenLength)
	if !ok {
		return nil, false, false
	}
	if n == 0 {
		return nil, false, true
	}
	data, ok := m.ptr(p, off+tokenData)
	if !ok || m.isNil(data) {
		return nil, false, false
	}
	if n > esMaxString {
		n, truncated = esMaxString, true
	}
	s, ok = m.bytes(data, n)
	return s, truncated, ok
}

// decodeDestination reads a create/rename destination union: an existing
// file, or a directory and a file name joined into *buf.
func decodeDestination[P any, M esMemory[P]](d *esDecoder, m M, msg P, typeOff, destOff, nameOff uintptr,
	buf *[]byte, dst *[]byte) string {
	o := &d.out
	dt, ok := m.u32(msg, typeOff)
	if !ok {
		return ReasonMalformedMessage
	}
	f, ok := m.ptr(msg, destOff)
	if !ok || m.isNil(f) {
		return ReasonMalformedMessage
	}
	path, trunc, ok := readFile(m, f)
	if !ok {
		return ReasonMalformedMessage
	}
	o.pathTruncated = o.pathTruncated || trunc
	switch dt {
	case esDestinationExistingFile:
		*dst = path
	case esDestinationNewPath:
		name, trunc, ok := readToken(m, msg, nameOff)
		if !ok {
			return ReasonMalformedMessage
		}
		o.pathTruncated = o.pathTruncated || trunc
		*buf = joinPath((*buf)[:0], path, name)
		*dst = *buf
	default:
		return ReasonMalformedMessage
	}
	return ""
}
