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
// A source calls its sink from one goroutine at a time, the one running the
// source. The [Event] passed to the sink, and every byte slice it points to,
// belong to the source and may be reused as soon as the sink returns; a sink
// that keeps anything must copy it. [Stats] and [Counter] are safe for
// concurrent use: sources update them while exporters read them.
//
// Each operating-system API is called from exactly one file of this package,
// named after the API and the platform it exists on.
package es
