// Package simtest serves hardfolio's simulated devices on loopback ports
// for the duration of a test, the way the vendors' emulators listen: a
// Ledger on a Speculos APDU port (TCP), a Trezor on the emulator's UDP
// port, and a Trezor bridge in front of one. Tests across hw/, wallet/ and
// the command line share it so that every one starts the simulators the
// same way.
//
// Each function fails the test when the simulator cannot start, or when it
// does not warn that it holds private keys, and closes the simulator when
// the test ends.
package simtest

import (
	"net"
	"testing"

	simledger "codeberg.org/hardfolio/hardfolio/hw/sim/ledger"
	simtrezor "codeberg.org/hardfolio/hardfolio/hw/sim/trezor"
)

// Ledger serves a simulated Ledger made with opts on 127.0.0.1 and
// returns its address (host:port, for a speculos: URI) and the device.
func Ledger(t testing.TB, opts simledger.Options) (string, *simledger.Device) {
	t.Helper()
	dev, warning, err := simledger.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if warning == "" {
		t.Fatal("the Ledger simulator gave no private-key warning")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		dev.Close()
		t.Fatal(err)
	}
	go dev.Serve(ln)
	t.Cleanup(func() { dev.Close() })
	return ln.Addr().String(), dev
}

// Trezor serves a simulated Trezor made with opts on a UDP port of
// 127.0.0.1 and returns its address (host:port, for a trezor-udp: URI)
// and the device.
func Trezor(t testing.TB, opts simtrezor.Options) (string, *simtrezor.Device) {
	t.Helper()
	dev, warning, err := simtrezor.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	if warning == "" {
		t.Fatal("the Trezor simulator gave no private-key warning")
	}
	addr, err := dev.ListenUDP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return addr, dev
}

// Bridge serves a Trezor bridge of the given version ("" for the
// simulator's default) on 127.0.0.1, in front of the emulator at udpAddr,
// and returns its address (host:port, for a trezor-bridge: URI).
func Bridge(t testing.TB, udpAddr, version string) string {
	t.Helper()
	b := simtrezor.NewBridge(udpAddr)
	b.Version = version
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go b.Serve(ln)
	t.Cleanup(func() { b.Close() })
	return ln.Addr().String()
}
