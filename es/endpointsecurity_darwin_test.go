//go:build darwin

package es

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestProbeEndpointSecurity runs on a Mac: the probe either creates a
// client or fails with one of the documented reasons, never anything else.
func TestProbeEndpointSecurity(t *testing.T) {
	err := ProbeEndpointSecurity()
	if err == nil {
		return
	}
	for _, want := range []error{ErrESNotEntitled, ErrESNotPermitted, ErrESNotPrivileged, ErrESTooManyClients} {
		if errors.Is(err, want) {
			t.Skipf("no Endpoint Security client here: %v", err)
		}
	}
	t.Fatalf("unexpected probe error: %v", err)
}

// TestEndpointSecurityRunStops runs where a client can be created (an
// entitled, root, Full Disk Access test binary) and checks a clean stop.
func TestEndpointSecurityRunStops(t *testing.T) {
	if err := ProbeEndpointSecurity(); err != nil {
		t.Skipf("no Endpoint Security client here: %v", err)
	}
	s, err := NewEndpointSecurity(EndpointSecurityConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := s.Run(ctx, SinkFunc(func(*Event) {})); err != nil {
		t.Fatal(err)
	}
	if s.Stats().Snapshot().Up {
		t.Error("still up after Run returned")
	}
}
