package summary

import "sync"

// Message is one published summary in every form a transport needs. It is
// immutable and shared by all subscribers: a subscriber's pending slot holds
// a pointer to it, never a copy.
type Message struct {
	// Summary is the decoded summary; do not modify it.
	Summary *Summary
	line    []byte // JSON encoding followed by '\n'

	kvOnce sync.Once
	kv     Value
}

// NewMessage wraps a summary and its JSON encoding (without a newline).
func NewMessage(s *Summary, js []byte) *Message {
	line := make([]byte, len(js)+1)
	copy(line, js)
	line[len(js)] = '\n'
	return &Message{Summary: s, line: line}
}

// JSON returns the JSON encoding. The caller must not modify it.
func (m *Message) JSON() []byte { return m.line[:len(m.line)-1] }

// Line returns the JSON encoding followed by a newline, as the Unix socket
// transport sends it. The caller must not modify it.
func (m *Message) Line() []byte { return m.line }

// Value returns the key/value tree of the summary, computed once.
func (m *Message) Value() Value {
	m.kvOnce.Do(func() { m.kv = ToValue(m.Summary) })
	return m.kv
}
