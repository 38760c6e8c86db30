//go:build darwin

package summary

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/ebitengine/purego"
	"github.com/ebitengine/purego/objc"
)

// This file is the only one calling libxpc and libdispatch. It is thin glue
// over the platform-independent parts: requests are parsed like the Unix
// socket's (ParseRequest semantics, carried as dictionary keys), summaries
// are copied from the key/value tree (Message.Value), and delivery is driven
// by a Hub subscriber exactly like the socket's.
//
// Wire protocol (docs/summary-protocol.md):
//   - request  {"op":"get"}                 → reply {"summary": {...}}
//   - request  {"op":"subscribe", "interval":"2s"} → reply {"ok": true}, then
//     pushes {"op":"summary","summary":{...}} sent with a reply handler: the
//     next push is sent only after the peer replied to the previous one, so
//     at most one is in flight per peer. A peer that does not reply within
//     the stuck timeout is disconnected.
//   - anything else → reply {"error": "..."}.

// XPCConfig configures a [XPCListener].
type XPCConfig struct {
	// Service is the mach service name; it must be listed in the launchd
	// plist's MachServices.
	Service string
	// PeerRequirement is a code-signing requirement (TN3127 language) every
	// peer must meet; empty accepts every peer. It needs macOS 12: on older
	// systems ListenXPC fails rather than serve unchecked.
	PeerRequirement string
	// Hub delivers the summaries; required.
	Hub *Hub
	// Interval is the agent's summary interval (default DefaultInterval).
	Interval time.Duration
	// MaxPeers bounds the open peer connections (default hub limit + 16).
	MaxPeers int
	Logger   *slog.Logger
}

// XPCListener serves summaries on a mach service.
type XPCListener struct {
	cfg      XPCConfig
	m        *Metrics
	log      *rateLogger
	queue    unsafe.Pointer
	listener unsafe.Pointer
	handler  objc.Block
	peers    atomic.Int64
	closed   atomic.Bool

	// mu orders Close's xpc_connection_cancel with the release of the
	// listener on its final XPC_ERROR_CONNECTION_INVALID: the listener can
	// be invalidated on its own (service missing from MachServices), and
	// cancelling it after that release would be a use after free.
	mu       sync.Mutex
	released bool
}

// xpc holds the libxpc and libdispatch entry points and data symbols.
var xpc struct {
	once sync.Once
	err  error

	createMachService   func(name string, q unsafe.Pointer, flags uint64) unsafe.Pointer
	setEventHandler     func(c unsafe.Pointer, handler objc.Block)
	setTargetQueue      func(c unsafe.Pointer, q unsafe.Pointer)
	activate            func(c unsafe.Pointer)
	cancel              func(c unsafe.Pointer)
	sendMessage         func(c unsafe.Pointer, msg unsafe.Pointer)
	sendWithReply       func(c unsafe.Pointer, msg unsafe.Pointer, q unsafe.Pointer, handler objc.Block)
	sendBarrier         func(c unsafe.Pointer, barrier objc.Block)
	getEUID             func(c unsafe.Pointer) uint32
	getPID              func(c unsafe.Pointer) int32
	setPeerRequirement  func(c unsafe.Pointer, req string) int32 // nil before macOS 12
	getType             func(obj unsafe.Pointer) unsafe.Pointer
	retain              func(obj unsafe.Pointer) unsafe.Pointer
	release             func(obj unsafe.Pointer)
	dictCreate          func(keys, values unsafe.Pointer, n uintptr) unsafe.Pointer
	dictCreateReply     func(orig unsafe.Pointer) unsafe.Pointer
	dictSetValue        func(d unsafe.Pointer, key string, v unsafe.Pointer)
	dictSetString       func(d unsafe.Pointer, key string, v string)
	dictSetBool         func(d unsafe.Pointer, key string, v bool)
	dictGetString       func(d unsafe.Pointer, key string) string
	dictGetValue        func(d unsafe.Pointer, key string) unsafe.Pointer
	dictCount           func(d unsafe.Pointer) uintptr
	arrayCreate         func(objs unsafe.Pointer, n uintptr) unsafe.Pointer
	arrayAppend         func(a unsafe.Pointer, v unsafe.Pointer)
	stringCreate        func(s string) unsafe.Pointer
	int64Create         func(v int64) unsafe.Pointer
	uint64Create        func(v uint64) unsafe.Pointer
	doubleCreate        func(v float64) unsafe.Pointer
	boolCreate          func(v bool) unsafe.Pointer
	nullCreate          func() unsafe.Pointer
	dispatchQueueCreate func(label string, attr unsafe.Pointer) unsafe.Pointer

	typeConnection, typeDictionary, typeError  uintptr
	errInvalid, errInterrupted, errCodeSigning uintptr
}

// xpcListenerFlag is XPC_CONNECTION_MACH_SERVICE_LISTENER.
const xpcListenerFlag = 1

func loadXPC() error {
	xpc.once.Do(func() {
		lib, err := purego.Dlopen("/usr/lib/libSystem.B.dylib", purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			xpc.err = fmt.Errorf("xpc: load libSystem: %w", err)
			return
		}
		defer func() {
			if r := recover(); r != nil { // RegisterLibFunc panics on a missing symbol
				xpc.err = fmt.Errorf("xpc: %v", r)
			}
		}()
		for name, fn := range map[string]any{
			"xpc_connection_create_mach_service":     &xpc.createMachService,
			"xpc_connection_set_event_handler":       &xpc.setEventHandler,
			"xpc_connection_set_target_queue":        &xpc.setTargetQueue,
			"xpc_connection_activate":                &xpc.activate,
			"xpc_connection_cancel":                  &xpc.cancel,
			"xpc_connection_send_message":            &xpc.sendMessage,
			"xpc_connection_send_message_with_reply": &xpc.sendWithReply,
			"xpc_connection_send_barrier":            &xpc.sendBarrier,
			"xpc_connection_get_euid":                &xpc.getEUID,
			"xpc_connection_get_pid":                 &xpc.getPID,
			"xpc_get_type":                           &xpc.getType,
			"xpc_retain":                             &xpc.retain,
			"xpc_release":                            &xpc.release,
			"xpc_dictionary_create":                  &xpc.dictCreate,
			"xpc_dictionary_create_reply":            &xpc.dictCreateReply,
			"xpc_dictionary_set_value":               &xpc.dictSetValue,
			"xpc_dictionary_set_string":              &xpc.dictSetString,
			"xpc_dictionary_set_bool":                &xpc.dictSetBool,
			"xpc_dictionary_get_string":              &xpc.dictGetString,
			"xpc_dictionary_get_value":               &xpc.dictGetValue,
			"xpc_dictionary_get_count":               &xpc.dictCount,
			"xpc_array_create":                       &xpc.arrayCreate,
			"xpc_array_append_value":                 &xpc.arrayAppend,
			"xpc_string_create":                      &xpc.stringCreate,
			"xpc_int64_create":                       &xpc.int64Create,
			"xpc_uint64_create":                      &xpc.uint64Create,
			"xpc_double_create":                      &xpc.doubleCreate,
			"xpc_bool_create":                        &xpc.boolCreate,
			"xpc_null_create":                        &xpc.nullCreate,
			"dispatch_queue_create":                  &xpc.dispatchQueueCreate,
		} {
			purego.RegisterLibFunc(fn, lib, name)
		}
		// macOS 12+: look it up rather than panic on older systems.
		if addr, err := purego.Dlsym(lib, "xpc_connection_set_peer_code_signing_requirement"); err == nil && addr != 0 {
			purego.RegisterFunc(&xpc.setPeerRequirement, addr)
		}
		// Data symbols, compared by address (dlsym names have no Mach-O
		// underscore). The code-signing error is missing before macOS 12.
		for name, p := range map[string]*uintptr{
			"_xpc_type_connection":                     &xpc.typeConnection,
			"_xpc_type_dictionary":                     &xpc.typeDictionary,
			"_xpc_type_error":                          &xpc.typeError,
			"_xpc_error_connection_invalid":            &xpc.errInvalid,
			"_xpc_error_connection_interrupted":        &xpc.errInterrupted,
			"_xpc_error_peer_code_signing_requirement": &xpc.errCodeSigning,
		} {
			*p, _ = purego.Dlsym(lib, name)
		}
		if xpc.typeConnection == 0 || xpc.typeDictionary == 0 || xpc.typeError == 0 || xpc.errInvalid == 0 {
			xpc.err = errors.New("xpc: type or error symbols missing from libSystem")
		}
	})
	return xpc.err
}

// ListenXPC checks in for the mach service and starts accepting peers.
func ListenXPC(cfg XPCConfig) (*XPCListener, error) {
	if cfg.Service == "" || cfg.Hub == nil {
		return nil, errors.New("summary xpc: a service name and a hub are required")
	}
	if err := loadXPC(); err != nil {
		return nil, err
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.MaxPeers <= 0 {
		cfg.MaxPeers = cfg.Hub.cfg.MaxSubscribers + connSlack
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	// Checked before the listener exists: see the release note below.
	if cfg.PeerRequirement != "" && xpc.setPeerRequirement == nil {
		return nil, errors.New("summary xpc: a peer code-signing requirement needs macOS 12 or later")
	}
	l := &XPCListener{cfg: cfg, m: cfg.Hub.Metrics(), log: newRateLogger(cfg.Logger, time.Minute)}
	// One serial queue for the listener, every peer and every reply: the
	// handlers are short and never block.
	l.queue = xpc.dispatchQueueCreate("com.estally.summary.xpc", nil)
	l.listener = xpc.createMachService(cfg.Service, l.queue, xpcListenerFlag)
	if l.listener == nil {
		return nil, fmt.Errorf("summary xpc: cannot create mach service %q", cfg.Service)
	}
	if cfg.PeerRequirement != "" {
		if rc := xpc.setPeerRequirement(l.listener, cfg.PeerRequirement); rc != 0 {
			// The listener is still inactive, and "it is a programming
			// error to release an inactive or suspended connection"
			// (xpc/connection.h). Activating it just to cancel it would
			// check in and briefly accept unchecked peers, so this one
			// object is deliberately leaked on this startup error.
			return nil, fmt.Errorf("summary xpc: invalid peer requirement (error %d)", rc)
		}
	}
	l.handler = objc.NewBlock(func(_ objc.Block, ev unsafe.Pointer) { l.onListenerEvent(ev) })
	xpc.setEventHandler(l.listener, l.handler)
	xpc.activate(l.listener)
	l.m.initTransport(TransportXPC)
	return l, nil
}

// Close stops accepting peers. Subscribed peers are disconnected by the hub's
// Close; their connections are cancelled then.
func (l *XPCListener) Close() error {
	if l.closed.Swap(true) {
		return nil
	}
	l.mu.Lock()
	if !l.released { // else already invalidated and released: nothing to cancel
		xpc.cancel(l.listener) // the final CONNECTION_INVALID releases it
	}
	l.mu.Unlock()
	return nil
}

func (l *XPCListener) onListenerEvent(ev unsafe.Pointer) {
	switch uintptr(xpc.getType(ev)) {
	case xpc.typeConnection:
		if l.closed.Load() || l.peers.Load() >= int64(l.cfg.MaxPeers) {
			l.m.Disconnected(TransportXPC, ReasonTooManyConnections)
			l.log.Warn("xpc peer refused: too many connections", "limit", l.cfg.MaxPeers)
			// Never activated: cancel it without a handler is not allowed,
			// so give it a throwaway one.
			b := objc.NewBlock(func(_ objc.Block, _ unsafe.Pointer) {})
			xpc.setEventHandler(ev, b)
			b.Release()
			xpc.activate(ev)
			xpc.cancel(ev)
			return
		}
		l.peers.Add(1)
		p := &xpcPeer{l: l, conn: xpc.retain(ev), euid: xpc.getEUID(ev), pid: xpc.getPID(ev)}
		p.handler = objc.NewBlock(func(_ objc.Block, ev unsafe.Pointer) { p.onEvent(ev) })
		xpc.setTargetQueue(p.conn, l.queue)
		xpc.setEventHandler(p.conn, p.handler)
		xpc.activate(p.conn)
	case xpc.typeError:
		if uintptr(ev) == xpc.errInvalid {
			l.handler.Release()
			l.mu.Lock() // not while Close is cancelling it
			l.released = true
			xpc.release(l.listener)
			l.mu.Unlock()
			if !l.closed.Load() {
				l.log.Warn("xpc listener invalidated (is the service in the launchd plist's MachServices?)", "service", l.cfg.Service)
			}
		}
	}
}

// xpcPeer is one peer connection.
type xpcPeer struct {
	l       *XPCListener
	conn    unsafe.Pointer
	handler objc.Block
	euid    uint32
	pid     int32

	mu  sync.Mutex
	sub *Subscriber
}

// onEvent runs on the listener's queue for each message or error of the peer.
func (p *xpcPeer) onEvent(ev unsafe.Pointer) {
	switch uintptr(xpc.getType(ev)) {
	case xpc.typeDictionary:
		p.onRequest(ev)
	case xpc.typeError:
		switch uintptr(ev) {
		case xpc.errCodeSigning:
			p.l.m.Refused(TransportXPC)
			p.l.log.Warn("xpc peer refused: code-signing requirement not met", "pid", p.pid, "euid", p.euid)
		case xpc.errInvalid:
			// Final event: release everything the peer held.
			p.closeSub(ReasonClientClosed)
			p.handler.Release()
			xpc.release(p.conn)
			p.l.peers.Add(-1)
		case xpc.errInterrupted:
			p.closeSub(ReasonClientClosed)
		}
	}
}

func (p *xpcPeer) closeSub(reason string) {
	p.mu.Lock()
	sub := p.sub
	p.mu.Unlock()
	if sub != nil {
		sub.Close(reason)
	}
}

// onRequest answers one request dictionary.
func (p *xpcPeer) onRequest(msg unsafe.Pointer) {
	reply := xpc.dictCreateReply(msg)
	if reply == nil { // a one-way message: nothing to answer with
		p.l.m.Disconnected(TransportXPC, ReasonBadRequest)
		xpc.cancel(p.conn)
		return
	}
	defer xpc.release(reply)
	req, err := p.parse(msg)
	if err != nil {
		p.l.m.Disconnected(TransportXPC, ReasonBadRequest)
		xpc.dictSetString(reply, "error", err.Error())
		xpc.sendMessage(p.conn, reply)
		p.cancelAfterSends()
		return
	}
	switch req.Op {
	case OpGet:
		m := p.l.cfg.Hub.Latest()
		if m == nil {
			xpc.dictSetString(reply, "error", "no summary yet")
			xpc.sendMessage(p.conn, reply)
			return
		}
		s := toXPC(m.Value())
		xpc.dictSetValue(reply, "summary", s)
		xpc.release(s)
		xpc.sendMessage(p.conn, reply)
		p.l.m.Delivered(TransportXPC)
	case OpSubscribe:
		p.mu.Lock()
		already := p.sub != nil
		p.mu.Unlock()
		n, err := every(req.Interval, p.l.cfg.Interval)
		if err == nil && already {
			err = errors.New("already subscribed")
		}
		var sub *Subscriber
		if err == nil {
			sub, err = p.l.cfg.Hub.Subscribe(TransportXPC, n)
		}
		if err != nil {
			xpc.dictSetString(reply, "error", err.Error())
			xpc.sendMessage(p.conn, reply)
			return
		}
		p.mu.Lock()
		p.sub = sub
		p.mu.Unlock()
		xpc.dictSetBool(reply, "ok", true)
		xpc.sendMessage(p.conn, reply)
		xpc.retain(p.conn) // held by the push loop
		go p.push(sub)
	}
}

// cancelAfterSends cancels the peer once the messages already queued on it
// (the error reply) have been sent: xpc_connection_cancel discards "any
// messages that have not yet been sent", so cancelling right after
// xpc_connection_send_message could drop the {error} reply the protocol
// promises. A send barrier runs after the earlier sends, and "You may
// safely cancel a connection from within a barrier block" (connection.h).
// The barrier holds its own reference on the connection, since it may also
// run while the connection unwinds after the peer's final event.
func (p *xpcPeer) cancelAfterSends() {
	conn := xpc.retain(p.conn)
	b := objc.NewBlock(func(objc.Block) {
		xpc.cancel(conn)
		xpc.release(conn)
	})
	xpc.sendBarrier(conn, b)
	b.Release() // XPC copied the block; this drops our reference
}

// parse reads a request from a dictionary with the Unix socket's rules.
func (p *xpcPeer) parse(msg unsafe.Pointer) (Request, error) {
	hasInterval := xpc.dictGetValue(msg, "interval") != nil
	return RequestFromFields(int(xpc.dictCount(msg)), xpc.dictGetString(msg, "op"), hasInterval, xpc.dictGetString(msg, "interval"))
}

// push sends each pending summary with a reply handler; the next one waits
// for the reply, so at most one push is in flight.
func (p *xpcPeer) push(sub *Subscriber) {
	defer xpc.release(p.conn)
	for {
		select {
		case <-sub.Done():
			if r := sub.Reason(); r == ReasonStuck || r == ReasonShutdown {
				xpc.cancel(p.conn)
			}
			return
		case <-sub.Ready():
		}
		m, ok := sub.Next()
		if !ok {
			continue
		}
		msg := xpc.dictCreate(nil, nil, 0)
		xpc.dictSetString(msg, "op", "summary")
		s := toXPC(m.Value())
		xpc.dictSetValue(msg, "summary", s)
		xpc.release(s)
		var b objc.Block
		b = objc.NewBlock(func(_ objc.Block, reply unsafe.Pointer) {
			if uintptr(xpc.getType(reply)) == xpc.typeDictionary {
				sub.Delivered()
			} else {
				sub.Close(ReasonClientClosed)
			}
			b.Release() // our reference; XPC holds its own until return
		})
		xpc.sendWithReply(p.conn, msg, p.l.queue, b)
		xpc.release(msg)
	}
}

// toXPC copies a key/value tree into a new (retained) XPC object.
func toXPC(v Value) unsafe.Pointer {
	switch v.Kind {
	case KindBool:
		return xpc.boolCreate(v.Bool)
	case KindInt:
		return xpc.int64Create(v.Int)
	case KindUint:
		return xpc.uint64Create(v.Uint)
	case KindFloat:
		return xpc.doubleCreate(v.Float)
	case KindString:
		return xpc.stringCreate(v.String)
	case KindList:
		a := xpc.arrayCreate(nil, 0)
		for _, e := range v.List {
			c := toXPC(e)
			xpc.arrayAppend(a, c)
			xpc.release(c)
		}
		return a
	case KindMap:
		d := xpc.dictCreate(nil, nil, 0)
		for _, f := range v.Map {
			c := toXPC(f.Value)
			xpc.dictSetValue(d, f.Key, c)
			xpc.release(c)
		}
		return d
	}
	return xpc.nullCreate()
}
