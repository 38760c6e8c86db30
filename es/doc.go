// Package es defines estally's event model and its event sources.
//
// A source turns what the platform reports (the fanotify queue, Apple's
// eslogger stream, an Endpoint Security client, or a synthetic generator)
// into [Event] values and hands each one, synchronously, to the [Sink] its
// consumer provides. Sources never start a goroutine, send on a channel,
// allocate or log per event: the only per-event work is decoding and the
// sink call.
//
// # Concurrency
//
// A source calls its sink serially: never two calls at once. Most sources
// call it from the goroutine running the source; the native Endpoint
// Security client calls it from the framework's dispatch thread, one message
// at a time. A source that delivers events in bursts brackets each burst
// with [Batcher] calls from that same goroutine and does not block inside
// one. The [Event] passed to the sink, and every byte slice it points to,
// belong to the source and may be reused as soon as the sink returns; a sink
// that keeps anything must copy it. [Stats] and [Counter] are safe for
// concurrent use: sources update them while exporters read them.
//
// Each operating-system API is called from exactly one file of this package,
// named after the API and the platform it exists on.
package es
