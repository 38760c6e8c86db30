package es

// Kind is what happened to a file.
type Kind uint8

// The kinds of file activity estally folds. Their order is the order of the
// per-kind arrays in [Event] consumers; NumKinds counts them.
const (
	KindWrite         Kind = iota // data written (a write(2), or a merged run of them)
	KindCloseModified             // a file closed after it was modified
	KindCreate                    // a file created
	KindRename                    // a file renamed or moved (Path is the source)
	KindUnlink                    // a file deleted
	KindTruncate                  // a file truncated

	// NumKinds is the number of kinds; valid kinds are below it.
	NumKinds = 6
)

var kindNames = [NumKinds]string{"write", "close_modified", "create", "rename", "unlink", "truncate"}

// String returns the kind's name as used in metric labels and summaries.
func (k Kind) String() string {
	if int(k) < NumKinds {
		return kindNames[k]
	}
	return "unknown"
}

// ParseKind returns the kind named s, as printed by [Kind.String].
func ParseKind(s string) (Kind, bool) {
	for i, n := range kindNames {
		if n == s {
			return Kind(i), true
		}
	}
	return 0, false
}

// Event is one file activity reported by a source.
//
// The byte slices are owned by the source and are valid only during the
// [Sink.Observe] call that receives the event.
type Event struct {
	Kind Kind
	// PID is the acting process's id.
	PID int32
	// Executable is the acting process's executable path, or a placeholder
	// in angle brackets (such as "<unknown>") when the source could not
	// learn it.
	Executable []byte
	// SigningID and TeamID are the code-signing identity of the acting
	// process, where the platform has them (macOS); empty otherwise.
	SigningID []byte
	TeamID    []byte
	// Path is the file acted on; for a rename, the source path.
	Path []byte
	// Bytes is the number of bytes written, or 0 when unknown.
	Bytes uint64
	// Seq is the source's sequence number for the event, or 0 when the
	// source has none.
	Seq uint64
}

// Sink receives events from a source.
//
// Observe is called synchronously for every event, from the source's
// goroutine; it must not retain ev or its byte slices after it returns.
type Sink interface {
	Observe(ev *Event)
}

// SinkFunc adapts a function to a [Sink].
type SinkFunc func(ev *Event)

// Observe calls f(ev).
func (f SinkFunc) Observe(ev *Event) { f(ev) }
