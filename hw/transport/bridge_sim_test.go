package transport_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"codeberg.org/hardfolio/hardfolio/hw/sim/simtest"
	simtrezor "codeberg.org/hardfolio/hardfolio/hw/sim/trezor"
	"codeberg.org/hardfolio/hardfolio/hw/transport"
	"codeberg.org/hardfolio/hardfolio/hw/trezor/wire"
)

// TestBridgeSession drives the bridge client against the simulated
// bridge (trezord-go's API: POST only, Origin checked) in front of a
// simulated Trezor on its UDP port.
func TestBridgeSession(t *testing.T) {
	udp, _ := simtest.Trezor(t, simtrezor.Options{})
	b, err := transport.NewBridge(simtest.Bridge(t, udp, ""))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := b.Version(ctx)
	if err != nil || v != "2.0.33" {
		t.Fatal(v, err)
	}
	devs, err := b.Enumerate(ctx)
	if err != nil || len(devs) != 1 || devs[0].Path != "1" || devs[0].Session != nil || devs[0].Product != 0x53c1 {
		t.Fatalf("%+v %v", devs, err)
	}
	if _, err := b.Acquire(ctx, "9", ""); !errors.Is(err, transport.ErrBridge) || !strings.Contains(err.Error(), "device not found") {
		t.Fatalf("acquire unknown: %v", err)
	}
	s, err := b.Acquire(ctx, "1", "")
	if err != nil || s.ID() == "" {
		t.Fatal(s, err)
	}
	if devs, err := b.Enumerate(ctx); err != nil || devs[0].Session == nil || *devs[0].Session != s.ID() {
		t.Fatalf("held device: %+v %v", devs, err)
	}

	// Initialize, answered by Features: with /post and /read, then /call.
	features := func(reply []byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		typ, payload, err := wire.DecodeBridge(reply)
		if err != nil || typ != wire.TypeFeatures || len(payload) == 0 {
			t.Fatalf("reply %s %x %v", wire.TypeName(typ), payload, err)
		}
	}
	if err := s.Post(ctx, wire.EncodeBridge(wire.TypeInitialize, nil)); err != nil {
		t.Fatal(err)
	}
	features(s.Read(ctx))
	features(s.Call(ctx, wire.EncodeBridge(wire.TypeInitialize, nil)))

	if err := s.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(ctx); !errors.Is(err, transport.ErrBridge) || !strings.Contains(err.Error(), "session not found") {
		t.Fatalf("read after release: %v", err)
	}
}
