package main

import (
	"context"
	"net"
	"testing"
	"time"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/btcapp"
	"codeberg.org/hardfolio/hardfolio/hw/transport"
)

// TestDemoDevice: the demo's simulated Ledger listens on loopback only and
// answers as the Speculos default seed's device.
func TestDemoDevice(t *testing.T) {
	addr, stop, err := startDemoDevice()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("demo device at %q: want a loopback address", addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sp, err := transport.DialSpeculos(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	fpr, err := btcapp.New(sp).MasterFingerprint(ctx)
	if err != nil || fpr != 0xf5acc2fd {
		t.Fatalf("fingerprint %08x, %v", fpr, err)
	}
}
