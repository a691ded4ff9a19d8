package device

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/apdu"
	simledger "codeberg.org/hardfolio/hardfolio/hw/sim/ledger"
	"codeberg.org/hardfolio/hardfolio/hw/sim/simtest"
	"codeberg.org/hardfolio/hardfolio/hw/transport"
)

func TestParseURI(t *testing.T) {
	for _, c := range []struct {
		in   string
		want URI
		ok   bool
	}{
		{"hid:/dev/hidraw3", URI{SchemeHID, "/dev/hidraw3"}, true},
		{"hid:1-2:1.0", URI{SchemeHID, "1-2:1.0"}, true},
		{"speculos:127.0.0.1:9999", URI{SchemeSpeculos, "127.0.0.1:9999"}, true},
		{"speculos:127.0.0.1", URI{}, false},
		{"tcp:127.0.0.1:9999", URI{}, false},
		{"trezor-udp:127.0.0.1:21324", URI{SchemeTrezorUDP, "127.0.0.1:21324"}, true},
		{"trezor-bridge:127.0.0.1:21325", URI{SchemeTrezorBridge, "127.0.0.1:21325"}, true},
		{"trezor-bridge:127.0.0.1:21325/2", URI{SchemeTrezorBridge, "127.0.0.1:21325/2"}, true},
		{"trezor-hid:/dev/hidraw1", URI{SchemeTrezorHID, "/dev/hidraw1"}, true},
		{"trezor-udp:127.0.0.1", URI{}, false},
		{"hid:", URI{}, false},
		{"nothing", URI{}, false},
	} {
		got, err := ParseURI(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseURI(%q) = %v, %v", c.in, got, err)
		}
		if err != nil && !errors.Is(err, ErrURI) {
			t.Errorf("ParseURI(%q): %v is not ErrURI", c.in, err)
		}
		if err == nil && got.String() != c.in {
			t.Errorf("%q prints as %q", c.in, got)
		}
	}
}

func TestParsePath(t *testing.T) {
	h := Hardened
	for in, want := range map[string][]uint32{
		"m/84h/0h/0h":  {84 | h, 0 | h, 0 | h},
		"m/84'/1'/2'":  {84 | h, 1 | h, 2 | h},
		"84H/0/5":      {84 | h, 0, 5},
		"m":            nil,
		"m/2147483647": {2147483647},
	} {
		got, err := ParsePath(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParsePath(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"m/84x", "m/2147483648", "m//1", "m/01", "m/-1"} {
		if _, err := ParsePath(bad); err == nil {
			t.Errorf("ParsePath(%q) accepted", bad)
		}
	}
	if s := FormatPath([]uint32{84 | h, 1 | h, 0 | h, 1, 7}); s != "m/84h/1h/0h/1/7" {
		t.Errorf("FormatPath = %s", s)
	}
}

func TestLedgerModels(t *testing.T) {
	for pid, want := range map[uint16]string{
		0x0001: "Nano S", 0x1011: "Nano S", 0x4011: "Nano X", 0x5015: "Nano S Plus",
		0x0005: "Nano S Plus", 0x6011: "Stax", 0x7011: "Flex", 0x9999: "unknown Ledger",
	} {
		if got := ledgerModel(pid); got != want {
			t.Errorf("product %04x: %s, want %s", pid, got, want)
		}
	}
}

// TestListFiltersInterfaces: only the APDU interface of a Ledger is
// listed, and a device that cannot be opened is listed with the reason.
func TestListFiltersInterfaces(t *testing.T) {
	h := NewHub()
	h.ProbeTimeout = time.Second
	h.BridgeAddr = ""
	h.enumerate = func(vid uint16) ([]transport.HIDInfo, error) {
		if vid == 0x534C {
			return nil, nil // no Trezor One attached
		}
		if vid != 0x2C97 {
			t.Errorf("enumerated vendor %04x", vid)
		}
		return []transport.HIDInfo{
			{Path: "apdu", VendorID: 0x2C97, ProductID: 0x5015, Interface: 0},
			{Path: "fido", VendorID: 0x2C97, ProductID: 0x5015, Interface: 1},
			{Path: "mac", VendorID: 0x2C97, ProductID: 0x4011, Interface: -1, UsagePage: 0xFFA0},
		}, nil
	}
	got := h.List(context.Background(), nil)
	if len(got) != 2 || got[0].URI != "hid:apdu" || got[0].Model != "Nano S Plus" ||
		got[1].URI != "hid:mac" || got[1].Model != "Nano X" {
		t.Fatalf("List = %+v", got)
	}
	for _, in := range got {
		if in.Err == nil {
			t.Errorf("%s: no error for a device that is not there", in.URI)
		}
	}
}

func startSim(t testing.TB, f simledger.Faults) (string, *simledger.Device) {
	t.Helper()
	return simtest.Ledger(t, simledger.Options{Network: &chaincfg.TestNet3Params, Faults: f})
}

func TestLedgerOverSpeculos(t *testing.T) {
	addr, _ := startSim(t, simledger.Faults{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := NewHub().Open(ctx, "speculos:"+addr)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	in, err := d.Info(ctx)
	if err != nil || in.App != "Bitcoin Test" || in.FingerprintHex() != "f5acc2fd" || in.Vendor != "Ledger" || in.URI != "speculos:"+addr {
		t.Fatalf("Info = %+v, %v", in, err)
	}
	acct := []uint32{84 | Hardened, 1 | Hardened, 0 | Hardened}
	xpub, err := d.Xpub(ctx, acct, false)
	if err != nil {
		t.Fatal(err)
	}
	ref := DescriptorRef{Kind: WPKH, Fingerprint: 0xf5acc2fd, Account: acct, Xpub: xpub}
	a, err := d.Address(ctx, ref, false, 3, false)
	if err != nil || a != "tb1qxvvwqnawdsf2ljcqn35u64l9kfgy4e45v3uamu" {
		t.Errorf("Address = %s, %v", a, err)
	}
	ref.Fingerprint = 0x73c5da0a
	if _, err := d.Address(ctx, ref, false, 3, false); !errors.Is(err, ErrNotOurs) {
		t.Errorf("another seed's account: %v", err)
	}
	ref.Kind = "wsh"
	if _, err := d.Address(ctx, ref, false, 3, false); !errors.Is(err, ErrUnsupported) {
		t.Errorf("wsh: %v", err)
	}

	// List asks the emulator too. Like Speculos, the simulator serves one
	// connection at a time: close ours first.
	d.Close()
	got := NewHub().List(ctx, []string{addr, "127.0.0.1:1"})
	var emu []Info
	for _, i := range got {
		if i.Model == "Speculos" {
			emu = append(emu, i)
		}
	}
	if len(emu) != 2 || emu[0].Err != nil || emu[0].FingerprintHex() != "f5acc2fd" || emu[1].Err == nil {
		t.Errorf("List = %+v", got)
	}
}

func TestLedgerTypedErrors(t *testing.T) {
	addr, _ := startSim(t, simledger.Faults{Locked: true})
	ctx := context.Background()
	d, err := NewHub().Open(ctx, "speculos:"+addr)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Fingerprint(ctx); !errors.Is(err, apdu.ErrLocked) || apdu.Hint(err) == "" {
		t.Errorf("locked: %v", err)
	}
}

// BenchmarkListNoDevice measures List with nothing attached and no
// emulator: one USB enumeration per vendor. It must stay under 50 ms.
func BenchmarkListNoDevice(b *testing.B) {
	h := NewHub()
	ctx := context.Background()
	for b.Loop() {
		h.List(ctx, nil)
	}
}
