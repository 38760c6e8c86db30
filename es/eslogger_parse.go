package es

import "bytes"

// ES event type numbers (es_event_type_t) of the events estally folds.
const (
	esEventNotifyClose    = 12
	esEventNotifyCreate   = 13
	esEventNotifyRename   = 25
	esEventNotifyUnlink   = 32
	esEventNotifyWrite    = 33
	esEventNotifyTruncate = 41
)

// ES destination types (es_destination_type_t) of create and rename.
const (
	esDestinationExistingFile = 0
	esDestinationNewPath      = 1
)

// Reasons an eslogger or Endpoint Security input is rejected or only partly
// used; they label estally_source_errors_total.
const (
	// ReasonMalformedLine: a line that is not valid JSON (truncated, binary
	// garbage) or too deeply nested.
	ReasonMalformedLine = "malformed_line"
	// ReasonOversizeLine: a line longer than the reader's limit, discarded.
	ReasonOversizeLine = "oversize_line"
	// ReasonBadField: a field estally needs has the wrong type or an
	// impossible value, or the event type contradicts the event object.
	ReasonBadField = "bad_field"
	// ReasonMissingField: a folded event without its target path or event.
	ReasonMissingField = "missing_field"
	// ReasonUnknownEventType: an event of a type estally does not fold,
	// skipped (its sequence numbers are still accounted).
	ReasonUnknownEventType = "unknown_event_type"
	// ReasonUnknownField: one field not in the documented shape, skipped.
	ReasonUnknownField = "unknown_field"
	// ReasonPathTruncated: an event whose path the kernel truncated (ES
	// truncates paths beyond 16K); the event is still folded.
	ReasonPathTruncated = "path_truncated"
	// ReasonMalformedMessage: an es_message_t that cannot be decoded: a
	// required pointer is NULL, a target path is empty, or a destination
	// type is unknown.
	ReasonMalformedMessage = "malformed_message"
)

// unknownExecutable is Event.Executable when a line names no executable.
var unknownExecutable = []byte("<unknown>")

// esTypeOfName maps an ES event name, as eslogger writes it, to its type
// number, for the folded types.
func esTypeOfName(name []byte) (uint32, bool) {
	switch string(name) {
	case "write":
		return esEventNotifyWrite, true
	case "close":
		return esEventNotifyClose, true
	case "create":
		return esEventNotifyCreate, true
	case "rename":
		return esEventNotifyRename, true
	case "unlink":
		return esEventNotifyUnlink, true
	case "truncate":
		return esEventNotifyTruncate, true
	}
	return 0, false
}

// kindOfType maps a folded ES event type to its Kind.
func kindOfType(t uint32) (Kind, bool) {
	switch t {
	case esEventNotifyWrite:
		return KindWrite, true
	case esEventNotifyClose:
		return KindCloseModified, true
	case esEventNotifyCreate:
		return KindCreate, true
	case esEventNotifyRename:
		return KindRename, true
	case esEventNotifyUnlink:
		return KindUnlink, true
	case esEventNotifyTruncate:
		return KindTruncate, true
	}
	return 0, false
}

// elogRecord is what the parser extracts from one line. Its byte slices
// point into the line or into the parser's buffers and are valid until the
// next parse.
type elogRecord struct {
	version                uint64
	seq, global            uint64
	eventType              uint32
	hasVersion, hasSeq     bool
	hasGlobal, hasType     bool
	eventName              []byte // the key inside "event"
	known                  bool   // eventName is a folded event type
	modified, hasModified  bool   // close
	wasMappedWritable      bool   // close, version >= 6
	pid                    int32
	hasPID                 bool
	exe, signingID, teamID []byte
	path                   []byte // target; source for rename
	dest                   []byte // rename/create destination, when given
	destType               uint64
	hasDestType            bool
	pathTruncated          bool
	unknownFields          int
}

// elogParser decodes eslogger JSON lines without allocating once its
// buffers have grown to the longest strings seen. It is not safe for
// concurrent use.
type elogParser struct {
	s   elogScanner
	rec elogRecord
	// Buffers for strings with escapes (eslogger escapes every '/').
	keyBuf, exeBuf, sidBuf, tidBuf, pathBuf, destBuf, dirBuf, nameBuf []byte
}

// parse decodes one line (without its newline). It returns "" and fills
// p.rec on success, or the reason the line was rejected.
func (p *elogParser) parse(line []byte) string {
	p.s.reset(line)
	r := &p.rec
	*r = elogRecord{}
	s := &p.s
	seenEvent := false
	for first := true; ; first = false {
		key, done, ok := s.key(first, &p.keyBuf)
		if !ok {
			return ReasonMalformedLine
		}
		if done {
			break
		}
		switch string(key) {
		case "version":
			if r.version, ok = s.uint(); !ok {
				return p.badValue()
			}
			r.hasVersion = true
		case "seq_num":
			if r.seq, ok = s.uint(); !ok {
				return p.badValue()
			}
			r.hasSeq = true
		case "global_seq_num":
			if r.global, ok = s.uint(); !ok {
				return p.badValue()
			}
			r.hasGlobal = true
		case "event_type":
			v, ok := s.uint()
			if !ok || v > 1<<32-1 {
				return p.badValue()
			}
			r.eventType, r.hasType = uint32(v), true
		case "process":
			if reason := p.process(); reason != "" {
				return reason
			}
		case "event":
			if reason := p.event(); reason != "" {
				return reason
			}
			seenEvent = true
		case "schema_version", "time", "mach_time", "deadline", "action_type", "action", "thread":
			if !s.skip(1) {
				return ReasonMalformedLine
			}
		default:
			r.unknownFields++
			if !s.skip(1) {
				return ReasonMalformedLine
			}
		}
	}
	if !s.atEnd() {
		return ReasonMalformedLine
	}
	if !seenEvent || r.eventName == nil {
		if !r.hasType {
			return ReasonMissingField
		}
	}
	if t, ok := esTypeOfName(r.eventName); ok {
		if r.hasType && r.eventType != t {
			return ReasonBadField
		}
		r.eventType, r.hasType, r.known = t, true, true
	}
	return ""
}

// badValue classifies a value that did not decode as the expected type:
// a wrong but well-formed value is a bad field; anything else is a
// malformed line.
func (p *elogParser) badValue() string {
	if p.s.skip(1) {
		return ReasonBadField
	}
	return ReasonMalformedLine
}

// process decodes the "process" object: pid, signing id, team id and the
// executable path.
func (p *elogParser) process() string {
	s := &p.s
	r := &p.rec
	if s.null() {
		return ""
	}
	for first := true; ; first = false {
		key, done, ok := s.key(first, &p.keyBuf)
		if !ok {
			return ReasonMalformedLine
		}
		if done {
			return ""
		}
		switch string(key) {
		case "audit_token":
			if reason := p.auditToken(); reason != "" {
				return reason
			}
		case "signing_id":
			if !s.null() {
				if r.signingID, ok = s.strInto(&p.sidBuf); !ok {
					return p.badValue()
				}
			}
		case "team_id":
			if !s.null() {
				if r.teamID, ok = s.strInto(&p.tidBuf); !ok {
					return p.badValue()
				}
			}
		case "executable":
			var trunc bool
			if r.exe, trunc, ok = p.file(&p.exeBuf); !ok {
				return ReasonMalformedLine
			}
			r.pathTruncated = r.pathTruncated || trunc
		case "parent_audit_token", "responsible_audit_token", "ppid", "original_ppid", "group_id",
			"session_id", "codesigning_flags", "is_platform_binary", "is_es_client", "cdhash",
			"tty", "start_time", "cs_validation_category":
			if !s.skip(2) {
				return ReasonMalformedLine
			}
		default:
			r.unknownFields++
			if !s.skip(2) {
				return ReasonMalformedLine
			}
		}
	}
}

// auditToken reads the pid from an audit token: an object with a "pid"
// member (message version <= 9) or an array of the eight val[] integers,
// pid at index 5 (version 10).
func (p *elogParser) auditToken() string {
	s := &p.s
	r := &p.rec
	switch s.peek() {
	case '[':
		s.i++
		for i := 0; ; i++ {
			v, ok := s.uint()
			if !ok {
				return p.badValue()
			}
			if i == 5 {
				if v > 1<<31-1 {
					return ReasonBadField
				}
				r.pid, r.hasPID = int32(v), true
			}
			if s.eat(']') {
				if i < 5 {
					return ReasonBadField
				}
				return ""
			}
			if !s.eat(',') {
				return ReasonMalformedLine
			}
		}
	case '{':
		for first := true; ; first = false {
			key, done, ok := s.key(first, &p.keyBuf)
			if !ok {
				return ReasonMalformedLine
			}
			if done {
				return ""
			}
			switch string(key) {
			case "pid":
				v, ok := s.uint()
				if !ok || v > 1<<31-1 {
					return p.badValue()
				}
				r.pid, r.hasPID = int32(v), true
			case "auid", "euid", "egid", "ruid", "rgid", "asid", "pidversion":
				if !s.skip(3) {
					return ReasonMalformedLine
				}
			default:
				r.unknownFields++
				if !s.skip(3) {
					return ReasonMalformedLine
				}
			}
		}
	}
	return p.badValue()
}

// file decodes an es_file_t object ({path, path_truncated, stat}) and
// returns its path, decoded into buf when escaped. A null file yields a nil
// path.
func (p *elogParser) file(buf *[]byte) (path []byte, truncated, ok bool) {
	s := &p.s
	if s.null() {
		return nil, false, true
	}
	for first := true; ; first = false {
		key, done, ok := s.key(first, &p.keyBuf)
		if !ok {
			return nil, false, false
		}
		if done {
			return path, truncated, true
		}
		switch string(key) {
		case "path":
			if path, ok = s.strInto(buf); !ok {
				return nil, false, false
			}
		case "path_truncated":
			if truncated, ok = s.boolean(); !ok {
				return nil, false, false
			}
		case "stat":
			if !s.skip(4) {
				return nil, false, false
			}
		default:
			p.rec.unknownFields++
			if !s.skip(4) {
				return nil, false, false
			}
		}
	}
}

// targetFile decodes a file object into the record's target path.
func (p *elogParser) targetFile(buf *[]byte) bool {
	path, trunc, ok := p.file(buf)
	if ok {
		p.rec.path = path
		p.rec.pathTruncated = p.rec.pathTruncated || trunc
	}
	return ok
}

// event decodes the "event" object, which has one member named after the
// event type.
func (p *elogParser) event() string {
	s := &p.s
	r := &p.rec
	for first := true; ; first = false {
		key, done, ok := s.key(first, &p.keyBuf)
		if !ok {
			return ReasonMalformedLine
		}
		if done {
			return ""
		}
		if r.eventName != nil {
			// More than one member: not the documented shape.
			r.unknownFields++
			if !s.skip(2) {
				return ReasonMalformedLine
			}
			continue
		}
		t, known := esTypeOfName(key)
		if !known {
			// Keep the name for logs and tests; keyBuf is reused below.
			p.nameBuf = append(p.nameBuf[:0], key...)
			r.eventName = p.nameBuf
			if !s.skip(2) {
				return ReasonMalformedLine
			}
			continue
		}
		r.eventName = eventNames[t]
		if reason := p.eventBody(t); reason != "" {
			return reason
		}
	}
}

// eventNames holds the folded event types' names, by type number.
var eventNames = map[uint32][]byte{
	esEventNotifyWrite:    []byte("write"),
	esEventNotifyClose:    []byte("close"),
	esEventNotifyCreate:   []byte("create"),
	esEventNotifyRename:   []byte("rename"),
	esEventNotifyUnlink:   []byte("unlink"),
	esEventNotifyTruncate: []byte("truncate"),
}

// eventBody decodes the object of a folded event type.
func (p *elogParser) eventBody(t uint32) string {
	s := &p.s
	r := &p.rec
	for first := true; ; first = false {
		key, done, ok := s.key(first, &p.keyBuf)
		if !ok {
			return ReasonMalformedLine
		}
		if done {
			return ""
		}
		switch {
		case string(key) == "target" && t != esEventNotifyRename && t != esEventNotifyCreate,
			string(key) == "source" && t == esEventNotifyRename:
			if !p.targetFile(&p.pathBuf) {
				return ReasonMalformedLine
			}
		case string(key) == "modified" && t == esEventNotifyClose:
			if r.modified, ok = s.boolean(); !ok {
				return p.badValue()
			}
			r.hasModified = true
		case string(key) == "was_mapped_writable" && t == esEventNotifyClose:
			if r.wasMappedWritable, ok = s.boolean(); !ok {
				return p.badValue()
			}
		case string(key) == "destination_type" && (t == esEventNotifyCreate || t == esEventNotifyRename):
			if r.destType, ok = s.uint(); !ok {
				return p.badValue()
			}
			r.hasDestType = true
		case string(key) == "destination" && (t == esEventNotifyCreate || t == esEventNotifyRename):
			if reason := p.destination(t, 3); reason != "" {
				return reason
			}
		case (string(key) == "existing_file" || string(key) == "new_path") &&
			(t == esEventNotifyCreate || t == esEventNotifyRename):
			// Tolerate the union flattened into the event object.
			if reason := p.destMember(key, t); reason != "" {
				return reason
			}
		case string(key) == "parent_dir" && t == esEventNotifyUnlink,
			string(key) == "acl" && t == esEventNotifyCreate:
			if !s.skip(3) {
				return ReasonMalformedLine
			}
		default:
			r.unknownFields++
			if !s.skip(3) {
				return ReasonMalformedLine
			}
		}
	}
}

// destination decodes a create/rename destination union:
// {"existing_file": file} or {"new_path": {"dir": file, "filename": string}}.
func (p *elogParser) destination(t uint32, depth int) string {
	s := &p.s
	if s.null() {
		return ""
	}
	for first := true; ; first = false {
		key, done, ok := s.key(first, &p.keyBuf)
		if !ok {
			return ReasonMalformedLine
		}
		if done {
			return ""
		}
		switch string(key) {
		case "existing_file", "new_path":
			if reason := p.destMember(key, t); reason != "" {
				return reason
			}
		default:
			p.rec.unknownFields++
			if !s.skip(depth + 1) {
				return ReasonMalformedLine
			}
		}
	}
}

// destMember decodes an existing_file or new_path member. For create, the
// destination is the event's target path; for rename it is the second path.
func (p *elogParser) destMember(key []byte, t uint32) string {
	r := &p.rec
	s := &p.s
	existing := string(key) == "existing_file"
	if existing {
		buf := &p.destBuf
		if t == esEventNotifyCreate {
			buf = &p.pathBuf
		}
		path, trunc, ok := p.file(buf)
		if !ok {
			return ReasonMalformedLine
		}
		r.pathTruncated = r.pathTruncated || trunc
		if t == esEventNotifyCreate {
			r.path = path
		} else {
			r.dest = path
		}
		return ""
	}
	if s.null() {
		return ""
	}
	var dir, name []byte
	for first := true; ; first = false {
		k, done, ok := s.key(first, &p.keyBuf)
		if !ok {
			return ReasonMalformedLine
		}
		if done {
			break
		}
		switch string(k) {
		case "dir":
			var trunc bool
			if dir, trunc, ok = p.file(&p.dirBuf); !ok {
				return ReasonMalformedLine
			}
			r.pathTruncated = r.pathTruncated || trunc
		case "filename":
			if name, ok = s.strInto(&p.nameBuf); !ok {
				return p.badValue()
			}
		case "mode":
			if !s.skip(5) {
				return ReasonMalformedLine
			}
		default:
			r.unknownFields++
			if !s.skip(5) {
				return ReasonMalformedLine
			}
		}
	}
	if dir == nil || name == nil {
		return ReasonMissingField
	}
	// Join into a buffer distinct from dir's and name's storage.
	buf := &p.destBuf
	if t == esEventNotifyCreate {
		buf = &p.pathBuf
	}
	joined := joinPath((*buf)[:0], dir, name)
	*buf = joined
	if t == esEventNotifyCreate {
		r.path = joined
	} else {
		r.dest = joined
	}
	return ""
}

// joinPath appends dir, a '/' unless dir already ends with one, and name.
func joinPath(dst, dir, name []byte) []byte {
	dst = append(dst, dir...)
	if len(dir) == 0 || dir[len(dir)-1] != '/' {
		dst = append(dst, '/')
	}
	return append(dst, name...)
}

// globalSeqKey is how eslogger writes the global sequence number's key. A
// file name holding the same text cannot fake it: inside a JSON string its
// quotes are escaped, and the raw `":` after the name never appears.
var globalSeqKey = []byte(`"global_seq_num":`)

// salvageGlobalSeq finds the global_seq_num of a line that failed to parse
// (truncated, corrupted), if the key and its whole number survived.
func salvageGlobalSeq(line []byte) (uint64, bool) {
	i := bytes.Index(line, globalSeqKey)
	if i < 0 {
		return 0, false
	}
	rest := line[i+len(globalSeqKey):]
	n, digits := uint64(0), 0
	for _, c := range rest {
		if c < '0' || c > '9' {
			break
		}
		if n > (1<<64-1-9)/10 {
			return 0, false // overflow: not a number eslogger wrote
		}
		n = n*10 + uint64(c-'0')
		digits++
	}
	// The number must be followed by what follows a value, or it may have
	// been cut short.
	if digits == 0 || digits == len(rest) || (rest[digits] != ',' && rest[digits] != '}') {
		return 0, false
	}
	return n, true
}
