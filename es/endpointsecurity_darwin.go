//go:build darwin

package es

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
	"github.com/ebitengine/purego/objc"
)

// This is the only file that calls libEndpointSecurity (and the two Mach
// calls that fetch the agent's own audit token). It binds the C API with
// purego, so darwin builds need no cgo. Message decoding is in esmsg.go.

const esLibraryPath = "/usr/lib/libEndpointSecurity.dylib"

// esSubscriptions are the NOTIFY event types the native client subscribes to.
var esSubscriptions = [...]uint32{
	esEventNotifyWrite, esEventNotifyClose, esEventNotifyCreate,
	esEventNotifyRename, esEventNotifyUnlink, esEventNotifyTruncate,
}

// es_mute_path_type_t values.
const (
	esMutePathLiteral       = 1
	esMutePathTargetPrefix  = 2 // macOS 13
	esMutePathTargetLiteral = 3 // macOS 13
)

const (
	esReturnSuccess  = 0
	taskAuditToken   = 15 // TASK_AUDIT_TOKEN
	auditTokenCount  = 8  // TASK_AUDIT_TOKEN_COUNT, in natural_t
	kernReturnSucces = 0
)

// esAPI holds the bound C functions. Optional symbols (newer than
// macOS 10.15) are nil when the running system lacks them.
type esAPI struct {
	newClient      func(client *unsafe.Pointer, handler objc.Block) uint32
	subscribe      func(client unsafe.Pointer, events *uint32, count uint32) uint32
	unsubscribeAll func(client unsafe.Pointer) uint32
	deleteClient   func(client unsafe.Pointer) uint32
	muteProcess    func(client unsafe.Pointer, token *[8]uint32) uint32
	mutePath       func(client unsafe.Pointer, path string, typ uint32) uint32 // macOS 12, optional
	mutePathLit    func(client unsafe.Pointer, path string) uint32             // deprecated, optional
	taskSelf       func() uint32                                               // optional
	taskInfo       func(task uint32, flavor uint32, info *[8]uint32, count *uint32) int32
}

var (
	esOnce    sync.Once
	esLib     esAPI
	esLibErr  error
	esNoBlock = func(objc.Block, unsafe.Pointer, unsafe.Pointer) {}
)

// loadES binds libEndpointSecurity once.
func loadES() (*esAPI, error) {
	esOnce.Do(func() { esLibErr = esLib.load() })
	return &esLib, esLibErr
}

func (a *esAPI) load() (err error) {
	lib, err := purego.Dlopen(esLibraryPath, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return fmt.Errorf("load %s (macOS 10.15 or later is needed): %w", esLibraryPath, err)
	}
	required := []struct {
		fn   any
		name string
	}{
		{&a.newClient, "es_new_client"},
		{&a.subscribe, "es_subscribe"},
		{&a.unsubscribeAll, "es_unsubscribe_all"},
		{&a.deleteClient, "es_delete_client"},
		{&a.muteProcess, "es_mute_process"},
	}
	for _, r := range required {
		sym, err := purego.Dlsym(lib, r.name)
		if err != nil {
			return fmt.Errorf("endpoint security: missing %s: %w", r.name, err)
		}
		purego.RegisterFunc(r.fn, sym)
	}
	if sym, err := purego.Dlsym(lib, "es_mute_path"); err == nil {
		purego.RegisterFunc(&a.mutePath, sym)
	}
	if sym, err := purego.Dlsym(lib, "es_mute_path_literal"); err == nil {
		purego.RegisterFunc(&a.mutePathLit, sym)
	}
	libc, err := purego.Dlopen("/usr/lib/libSystem.B.dylib", purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return fmt.Errorf("load libSystem: %w", err)
	}
	if sym, err := purego.Dlsym(libc, "mach_task_self"); err == nil {
		purego.RegisterFunc(&a.taskSelf, sym)
	}
	if sym, err := purego.Dlsym(libc, "task_info"); err == nil {
		purego.RegisterFunc(&a.taskInfo, sym)
	}
	return nil
}

// EndpointSecurityConfig configures an [EndpointSecurity] source.
type EndpointSecurityConfig struct {
	// Logger receives start/stop and setup problems; nil discards them.
	Logger *slog.Logger
	// Mute lists what must not reach the fold. Executables and path
	// prefixes are muted in the kernel where the system supports it
	// (es_mute_path), and always filtered again before the sink; the agent
	// itself is muted by audit token.
	Mute MuteConfig
}

// EndpointSecurity is the native macOS source: an Endpoint Security client
// subscribed to NOTIFY write, close, create, rename, unlink and truncate.
// It needs the com.apple.developer.endpoint-security.client entitlement,
// root, and Full Disk Access (see docs/macos.md).
//
// ES calls the handler serially on its own queue; the handler decodes the
// message, counts drops from its sequence numbers and calls the sink before
// returning. Run must not be called concurrently; Stats is safe from any
// goroutine.
type EndpointSecurity struct {
	cfg   EndpointSecurityConfig
	log   *slog.Logger
	stats *Stats
}

// NewEndpointSecurity returns a native Endpoint Security source. It creates
// no client: Run does.
func NewEndpointSecurity(cfg EndpointSecurityConfig) (*EndpointSecurity, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &EndpointSecurity{cfg: cfg, log: log, stats: NewStats("endpointsecurity")}, nil
}

// Stats returns the source's loss ledger.
func (s *EndpointSecurity) Stats() *Stats { return s.stats }

// esClient is one live ES client and the block its handler lives in.
type esClient struct {
	api    *esAPI
	client unsafe.Pointer
	block  objc.Block

	mu     sync.Mutex // serialises handler calls with shutdown
	h      *esHandler
	closed bool
}

// Run creates the client, delivers events to sink until ctx is done, then
// deletes the client. The client is created and deleted on one locked OS
// thread, as es_delete_client requires.
func (s *EndpointSecurity) Run(ctx context.Context, sink Sink) error {
	api, err := loadES()
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		c, err := s.start(api, sink)
		if err != nil {
			errc <- err
			return
		}
		s.stats.SetUp(true)
		s.log.Info("endpoint security client running", "events", len(esSubscriptions))
		<-ctx.Done()
		s.stats.SetUp(false)
		c.stop()
		errc <- nil
	}()
	return <-errc
}

func (s *EndpointSecurity) start(api *esAPI, sink Sink) (*esClient, error) {
	c := &esClient{api: api, h: newESHandler(s.stats, sink, NewMute(s.cfg.Mute, s.stats))}
	c.block = objc.NewBlock(func(_ objc.Block, _ unsafe.Pointer, msg unsafe.Pointer) {
		c.mu.Lock()
		if !c.closed {
			handleESMessage(c.h, rawMemory{}, msg)
		}
		c.mu.Unlock()
	})
	if res := api.newClient(&c.client, c.block); res != esNewClientSuccess {
		c.block.Release()
		return nil, fmt.Errorf("endpoint security: %w", newClientError(res))
	}
	s.muteSelf(c)
	s.mutePaths(c)
	if api.subscribe(c.client, &esSubscriptions[0], uint32(len(esSubscriptions))) != esReturnSuccess {
		c.stop()
		return nil, errors.New("endpoint security: es_subscribe failed for NOTIFY write/close/create/rename/unlink/truncate")
	}
	return c, nil
}

// muteSelf mutes the agent's own process by audit token, so its writes
// (logs, state) never feed back into the fold.
func (s *EndpointSecurity) muteSelf(c *esClient) {
	api := c.api
	if api.taskSelf == nil || api.taskInfo == nil {
		s.log.Warn("cannot read the agent's audit token; its events are filtered by pid instead")
		return
	}
	var token [8]uint32
	count := uint32(auditTokenCount)
	if kr := api.taskInfo(api.taskSelf(), taskAuditToken, &token, &count); kr != kernReturnSucces {
		s.log.Warn("task_info(TASK_AUDIT_TOKEN) failed; the agent's events are filtered by pid instead", "kern_return", kr)
		return
	}
	if api.muteProcess(c.client, &token) != esReturnSuccess {
		s.log.Warn("es_mute_process failed for the agent itself; its events are filtered by pid instead")
	}
}

// mutePaths mutes the configured executables (by literal executable path)
// and target path prefixes in the kernel where the system supports it. On
// older systems the filter before the sink does the same work.
func (s *EndpointSecurity) mutePaths(c *esClient) {
	api := c.api
	for _, exe := range s.cfg.Mute.Executables {
		ok := false
		switch {
		case api.mutePath != nil:
			ok = api.mutePath(c.client, exe, esMutePathLiteral) == esReturnSuccess
		case api.mutePathLit != nil:
			ok = api.mutePathLit(c.client, exe) == esReturnSuccess
		}
		if !ok {
			s.log.Info("muting the executable in the agent instead of the kernel", "executable", exe)
		}
	}
	for _, p := range s.cfg.Mute.PathPrefixes {
		// The filter's prefixes match whole path components: "/var/log"
		// mutes "/var/log" and "/var/log/x", not "/var/logs". ES prefix
		// muting is textual, so mute the directory literally and its
		// contents by "<prefix>/".
		for len(p) > 1 && p[len(p)-1] == '/' {
			p = p[:len(p)-1]
		}
		if p == "" {
			continue
		}
		ok := api.mutePath != nil
		if ok && p != "/" {
			ok = api.mutePath(c.client, p, esMutePathTargetLiteral) == esReturnSuccess
			p += "/"
		}
		if ok {
			ok = api.mutePath(c.client, p, esMutePathTargetPrefix) == esReturnSuccess
		}
		if !ok {
			s.log.Info("target path muting needs macOS 13; filtering the prefix in the agent instead", "prefix", p)
		}
	}
}

// stop deletes the client (on the thread that created it), waits for a
// running handler call to finish, and releases the block.
func (c *esClient) stop() {
	c.api.unsubscribeAll(c.client)
	c.api.deleteClient(c.client)
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.block.Release()
}

// ProbeEndpointSecurity reports whether a native Endpoint Security client
// can be created here, by creating one and deleting it at once. Its error
// says what is missing: the entitlement, Full Disk Access, or root.
func ProbeEndpointSecurity() error {
	api, err := loadES()
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		block := objc.NewBlock(esNoBlock)
		var client unsafe.Pointer
		if res := api.newClient(&client, block); res != esNewClientSuccess {
			block.Release()
			errc <- newClientError(res)
			return
		}
		api.deleteClient(client)
		block.Release()
		errc <- nil
	}()
	return <-errc
}
