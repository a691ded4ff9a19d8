package device

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"codeberg.org/hardfolio/hardfolio/hw/sim/simtest"
	simtrezor "codeberg.org/hardfolio/hardfolio/hw/sim/trezor"
	"codeberg.org/hardfolio/hardfolio/hw/transport"
	"codeberg.org/hardfolio/hardfolio/hw/trezor"
)

const abandonMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

func testHub() *Hub {
	h := NewHub()
	h.BridgeAddr = ""
	h.enumerate = func(uint16) ([]transport.HIDInfo, error) { return nil, nil }
	return h
}

func TestTrezorOverUDP(t *testing.T) {
	addr, _ := simtest.Trezor(t, simtrezor.Options{Mnemonic: abandonMnemonic})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := testHub().Open(ctx, "trezor-udp:"+addr)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	in, err := d.Info(ctx)
	if err != nil || in.Vendor != "Trezor" || in.Model != "Trezor One (emulator)" || in.App != "Bitcoin" ||
		in.FingerprintHex() != "73c5da0a" || in.URI != "trezor-udp:"+addr {
		t.Fatalf("Info = %+v, %v", in, err)
	}
	acct := []uint32{84 | Hardened, 0 | Hardened, 0 | Hardened}
	xpub, err := d.Xpub(ctx, acct, false)
	if err != nil || !strings.HasPrefix(xpub, "xpub") {
		t.Fatal(xpub, err)
	}
	ref := DescriptorRef{Kind: WPKH, Fingerprint: 0x73c5da0a, Account: acct, Xpub: xpub}
	// BIP 84's first receive address of this seed.
	if a, err := d.Address(ctx, ref, false, 0, false); err != nil || a != "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu" {
		t.Errorf("Address = %s, %v", a, err)
	}
	tpub, err := d.Xpub(ctx, []uint32{84 | Hardened, 1 | Hardened, 0 | Hardened}, false)
	if err != nil || !strings.HasPrefix(tpub, "tpub") {
		t.Fatalf("testnet account: %s %v", tpub, err)
	}
	bad := ref
	bad.Fingerprint = 0xf5acc2fd
	if _, err := d.Address(ctx, bad, false, 0, false); !errors.Is(err, ErrNotOurs) {
		t.Errorf("another seed: %v", err)
	}
	bad = ref
	bad.Xpub = tpub
	if _, err := d.Address(ctx, bad, false, 0, false); !errors.Is(err, ErrNotOurs) {
		t.Errorf("another account key: %v", err)
	}
	bad = ref
	bad.Kind = "wsh"
	if _, err := d.Address(ctx, bad, false, 0, false); !errors.Is(err, ErrUnsupported) {
		t.Errorf("wsh: %v", err)
	}

	// List asks the emulator, and reports one that is not there.
	d.Close()
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	gone := pc.LocalAddr().String()
	pc.Close()
	got := testHub().List(ctx, []string{"trezor-udp:" + addr, "trezor-udp:" + gone})
	if len(got) != 2 || got[0].Err != nil || got[0].FingerprintHex() != "73c5da0a" || got[0].Vendor != "Trezor" ||
		got[1].Err == nil || !errors.Is(got[1].Err, transport.ErrNoEmulator) || Hint(got[1].Err) == "" {
		t.Fatalf("List = %+v", got)
	}
}

func TestTrezorThroughBridge(t *testing.T) {
	udp, _ := simtest.Trezor(t, simtrezor.Options{Mnemonic: abandonMnemonic})
	bridge := simtest.Bridge(t, udp, "")
	h := testHub()
	h.BridgeAddr = bridge
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := h.List(ctx, nil)
	if len(got) != 1 || got[0].URI != "trezor-bridge:"+bridge+"/1" || got[0].Err != nil ||
		got[0].FingerprintHex() != "73c5da0a" || got[0].Model != "Trezor One" {
		t.Fatalf("List = %+v", got)
	}
	d, err := h.Open(ctx, "trezor-bridge:"+bridge)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// While held, List leaves it alone and says why.
	if got := h.List(ctx, nil); len(got) != 1 || !errors.Is(got[0].Err, trezor.ErrBusy) {
		t.Fatalf("List of a held device = %+v", got)
	}
	if fpr, err := d.Fingerprint(ctx); err != nil || fpr != 0x73c5da0a {
		t.Fatalf("fingerprint %08x %v", fpr, err)
	}
	acct := []uint32{84 | Hardened, 0 | Hardened, 0 | Hardened}
	xpub, err := d.Xpub(ctx, acct, false)
	if err != nil {
		t.Fatal(err)
	}
	ref := DescriptorRef{Kind: WPKH, Fingerprint: 0x73c5da0a, Account: acct, Xpub: xpub}
	if a, err := d.Address(ctx, ref, false, 0, true); err != nil || a != "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu" {
		t.Fatalf("address through the bridge: %s %v", a, err)
	}
	d.Close()
	// Released: the bridge lists the device free, and it opens again.
	if d, err = h.Open(ctx, "trezor-bridge:"+bridge+"/1"); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Fingerprint(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Open(ctx, "trezor-bridge:"+bridge+"/9"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown bridge device: %v", err)
	}

	// A bridge older than 2.0.25 takes /call only.
	old := simtest.Bridge(t, udp, "2.0.24")
	od, err := h.Open(ctx, "trezor-bridge:"+old)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := od.Address(ctx, ref, false, 0, true); err != nil || got != "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu" {
		t.Fatalf("through /call: %s %v", got, err)
	}
	od.Close()

	// No bridge: nothing listed, no error.
	h.BridgeAddr = "127.0.0.1:1"
	if got := h.List(ctx, nil); len(got) != 0 {
		t.Fatalf("List without bridge = %+v", got)
	}
}

func TestTrezorHIDInterfaces(t *testing.T) {
	h := NewHub()
	h.BridgeAddr = ""
	h.ProbeTimeout = time.Second
	h.enumerate = func(vid uint16) ([]transport.HIDInfo, error) {
		if vid != 0x534C {
			return nil, nil
		}
		return []transport.HIDInfo{
			{Path: "main", VendorID: 0x534C, ProductID: 0x0001, Interface: 0},
			{Path: "debug", VendorID: 0x534C, ProductID: 0x0001, Interface: 1},
			{Path: "mac", VendorID: 0x534C, ProductID: 0x0001, Interface: -1, UsagePage: 0xFF00},
			{Path: "macdebug", VendorID: 0x534C, ProductID: 0x0001, Interface: -1, UsagePage: 0xFF01},
		}, nil
	}
	got := h.List(context.Background(), nil)
	if len(got) != 2 || got[0].URI != "trezor-hid:main" || got[1].URI != "trezor-hid:mac" || got[0].Model != "Trezor One" {
		t.Fatalf("List = %+v", got)
	}
}

// prompter answers the PIN by reading the simulator's screen.
type prompter struct {
	mu       sync.Mutex
	grid     [3][3]byte
	pin      string
	confirms []string
}

func (p *prompter) PIN(context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return simtrezor.KeypadPositions(p.grid, p.pin), nil
}

func (p *prompter) Passphrase(context.Context, bool) (string, bool, error) { return "", false, nil }
func (p *prompter) Confirm(_ context.Context, what string) {
	p.mu.Lock()
	p.confirms = append(p.confirms, what)
	p.mu.Unlock()
}

func TestTrezorPINThroughPrompter(t *testing.T) {
	p := &prompter{pin: "468"}
	addr, _ := simtest.Trezor(t, simtrezor.Options{PIN: "468", ShowPIN: func(g [3][3]byte) { p.mu.Lock(); p.grid = g; p.mu.Unlock() }})
	ctx := context.Background()

	// Info never prompts: a locked device says so.
	d, err := testHub().Open(ctx, "trezor-udp:"+addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Info(ctx); !errors.Is(err, trezor.ErrPINRequired) || Hint(err) == "" {
		t.Fatalf("locked Info: %v", err)
	}
	d.Close()

	h := testHub()
	h.Prompter = p
	d, err = h.Open(ctx, "trezor-udp:"+addr)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Fingerprint(ctx); err != nil {
		t.Fatal(err)
	}
	acct := []uint32{84 | Hardened, 0 | Hardened, 0 | Hardened}
	if _, err := d.Xpub(ctx, acct, true); err != nil {
		t.Fatal(err)
	}
	if len(p.confirms) != 1 || p.confirms[0] != "public key" {
		t.Fatalf("confirms %v", p.confirms)
	}
}

// OpenFingerprint finds a locked Trezor when a Prompter can unlock it.
func TestOpenFingerprintUnlocksTrezor(t *testing.T) {
	p := &prompter{pin: "75"}
	addr, _ := simtest.Trezor(t, simtrezor.Options{Mnemonic: abandonMnemonic, PIN: "75", ShowPIN: func(g [3][3]byte) { p.mu.Lock(); p.grid = g; p.mu.Unlock() }})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	emu := []string{"trezor-udp:" + addr}
	if _, _, err := testHub().OpenFingerprint(ctx, emu, 0x73c5da0a); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "PIN") {
		t.Fatalf("without a prompter: %v", err)
	}
	h := testHub()
	h.Prompter = p
	d, in, err := h.OpenFingerprint(ctx, emu, 0x73c5da0a)
	if err != nil || in.FingerprintHex() != "73c5da0a" {
		t.Fatalf("with a prompter: %+v %v", in, err)
	}
	d.Close()
	// Now unlocked: found directly, and another seed's fingerprint is not.
	if _, _, err := h.OpenFingerprint(ctx, emu, 0xf5acc2fd); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "seed 73c5da0a") {
		t.Fatalf("another seed: %v", err)
	}
}

// A listing asks the bridge once for its devices and once for its
// version, however the devices are then probed.
func TestBridgeListingAsksOnce(t *testing.T) {
	udp, _ := simtest.Trezor(t, simtrezor.Options{Mnemonic: abandonMnemonic})
	bridge := simtrezor.NewBridge(udp)
	defer bridge.Close()
	var mu sync.Mutex
	calls := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		mu.Lock()
		calls["/"+p]++
		mu.Unlock()
		bridge.ServeHTTP(w, r)
	}))
	defer srv.Close()
	h := testHub()
	h.BridgeAddr = strings.TrimPrefix(srv.URL, "http://")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 3 {
		got := h.List(ctx, nil)
		if len(got) != 1 || got[0].Err != nil || got[0].FingerprintHex() != "73c5da0a" {
			t.Fatalf("List = %+v", got)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if calls["/enumerate"] != 3 || calls["/"] != 3 || calls["/acquire"] != 3 || calls["/release"] != 3 {
		t.Fatalf("three listings asked the bridge %v; want enumerate, version, acquire and release once each per listing", calls)
	}
}
