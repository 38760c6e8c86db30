// Package summary is estally's host-app summary channel: a versioned,
// size-capped summary of the aggregator's state, built once per interval off
// the hot path, and delivered to subscribers at a pace the agent chooses.
//
// The pieces, one concept per file:
//
//   - [Summary] (summary.go) is the message, with exactly one JSON encoding;
//     [Builder] (build.go) makes one from an [aggregate.Snapshot] and the
//     sources' [es.StatsSnapshot]s, and [Encode] (encode.go) caps its encoded
//     size by truncating the top lists, saying so in the message.
//   - [Value] (kv.go) is a generic key/value tree of the same fields, for
//     transports whose wire format is a dictionary (XPC).
//   - [Hub] (hub.go) is the delivery state machine: every subscriber has one
//     latest-wins slot and at most one message in flight; a summary that
//     replaces an undelivered one is counted as coalesced; a subscriber whose
//     delivery stays in flight longer than the stuck timeout is disconnected
//     and counted. The number of subscribers is bounded.
//   - [Publisher] (publisher.go) builds and publishes one summary per interval
//     from a [Snapshotter].
//   - Transports: [UnixServer] (unix.go; newline-delimited JSON over a Unix
//     socket, peer credentials checked in peercred_linux.go and
//     peercred_darwin.go), [HTTPHandler] (http.go; GET /api/v1/summary), and
//     the XPC mach-service listener (xpc_darwin.go, the only file calling
//     libxpc). [Client] (client.go) is the Unix-socket client used by
//     `estally summary` and `estally top`.
//   - [Metrics] (metrics.go) is a Prometheus collector of the channel's own
//     accounting: messages, coalesced summaries, subscribers, disconnects and
//     refused peers, per transport.
//
// # Concurrency
//
// A [Summary] and a [Message] are immutable once published: any number of
// goroutines may read them. [Builder] is not safe for concurrent use; the
// [Publisher] owns one and calls it from its Run goroutine only. [Hub],
// [Subscriber], [Metrics], [UnixServer] and [HTTPHandler] are safe for
// concurrent use. Publishing never blocks on a subscriber: [Hub.Publish]
// only swaps a pointer in each subscriber's slot and signals a channel with
// room for one token, so a slow, stuck or hostile consumer can neither stall
// the fold nor make the agent's memory grow.
package summary
