package es

// seqTracker turns Endpoint Security sequence numbers into a count of lost
// events, as ESMessage.h defines them:
//
//   - seq_num (message version >= 2) is per client and per event type and
//     grows by one for every message of that type; a gap of n means n
//     messages of that type were dropped.
//   - global_seq_num (version >= 4) is per client and grows by one for every
//     message of any type; a gap of n means n messages were dropped.
//
// A dropped message leaves a gap in both sequences, so the tracker counts
// each loss once: from the global sequence whenever messages carry it (it
// sees every loss, whatever the type), and from the per-type sequences only
// for messages without it. Messages of types the consumer ignores must
// still be passed to observe, since they advance both sequences.
//
// A sequence that goes backwards or repeats means the stream restarted (a
// new ES client, a new eslogger process, a replayed file): the tracker then
// forgets everything it knew and counts nothing for that message. The first
// message of a stream, and the first of each type, reveal no loss: what
// came before them is unknown. A switch between messages with and without
// global_seq_num also starts afresh, so that one loss is never counted by
// both kinds of sequence.
//
// A seqTracker is not safe for concurrent use.
type seqTracker struct {
	global      uint64
	globalValid bool
	mode        uint8 // 0 = nothing seen, 1 = per-type only, 2 = global
	last        [seqTypes]uint64
	valid       [seqTypes]bool
}

// seqTypes bounds the event types tracked per type; ES_EVENT_TYPE_LAST is
// about 150 in macOS 15 and grows each release. Losses of types beyond it
// are still counted from the global sequence.
const seqTypes = 512

// seqNoType is the type passed to observe for a message whose event type is
// unknown: it advances only the global sequence.
const seqNoType = 1<<32 - 1

// reset forgets all sequence state (a restarted stream).
func (t *seqTracker) reset() { *t = seqTracker{} }

// observe records one delivered message of event type typ and returns the
// number of messages it reveals as lost. hasSeq and hasGlobal say whether
// the message carries seq_num and global_seq_num.
func (t *seqTracker) observe(typ uint32, seq uint64, hasSeq bool, global uint64, hasGlobal bool) uint64 {
	mode := uint8(1)
	if hasGlobal {
		mode = 2
	}
	if !hasSeq && !hasGlobal {
		return 0
	}
	if t.mode != mode {
		t.reset()
		t.mode = mode
	}
	var lost uint64
	if hasGlobal {
		if t.globalValid {
			if global <= t.global {
				t.reset()
				t.mode = mode
			} else {
				lost = global - t.global - 1
			}
		}
		t.global, t.globalValid = global, true
	}
	if hasSeq && typ < seqTypes {
		if t.valid[typ] {
			switch {
			case seq <= t.last[typ]:
				if !hasGlobal {
					// Restart: every type's sequence starts afresh.
					t.reset()
					t.mode = mode
				}
			case !hasGlobal:
				lost = seq - t.last[typ] - 1
			}
		}
		t.last[typ], t.valid[typ] = seq, true
	}
	return lost
}

// skipGlobal records global, the global sequence number of a message that
// was delivered but could not be used (a malformed line), and returns the
// messages it reveals as lost before it. Without it the next message's gap
// would count the unusable one as a kernel drop on top of the error already
// counted for it. It only moves an established global sequence forward:
// anything else about a message that failed to parse is not trusted.
func (t *seqTracker) skipGlobal(global uint64) uint64 {
	if t.mode != 2 || !t.globalValid || global <= t.global {
		return 0
	}
	lost := global - t.global - 1
	t.global = global
	return lost
}
