package tui_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"

	"codeberg.org/hardfolio/hardfolio/hw/device"
	simledger "codeberg.org/hardfolio/hardfolio/hw/sim/ledger"
	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/book"
	"codeberg.org/hardfolio/hardfolio/tui"
	"codeberg.org/hardfolio/hardfolio/tui/common"
	"codeberg.org/hardfolio/hardfolio/tui/internal/tuitest"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

// multisigFixture is the wallet fixture for "vault", a mainnet 2-of-3
// wsh(sortedmulti) of two simulated Ledgers (on loopback, found by
// fingerprint) and an offline key, registered on both devices in the
// portfolio, synced, with broadcasts going to the fixture's chain.
// registered limits the registrations kept to those devices (by index).
func multisigFixture(t *testing.T, registered ...int) *walletFixture {
	t.Helper()
	ctx := context.Background()
	hub := device.NewHub()
	var addrs, keys []string
	var devs []device.Device
	bip48 := []uint32{48 | device.Hardened, device.Hardened, device.Hardened, 2 | device.Hardened}
	for _, mn := range []string{bip84Mnemonic, ""} {
		addr, _ := serveSim(t, simledger.Options{Mnemonic: mn, Network: &chaincfg.MainNetParams})
		d, err := hub.Open(ctx, "speculos:"+addr)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close() // a simulator serves one connection at a time
		fpr, _ := d.Fingerprint(ctx)
		xpub, err := d.Xpub(ctx, bip48, false)
		if err != nil {
			t.Fatal(err)
		}
		addrs, devs = append(addrs, addr), append(devs, d)
		keys = append(keys, fmt.Sprintf("[%08x/48h/0h/0h/2h]%s/<0;1>/*", fpr, xpub))
	}
	offline, _ := hdkeychain.NewMaster(bytes.Repeat([]byte{7}, 32), &chaincfg.MainNetParams)
	opub, _ := offline.ECPubKey()
	acct := offline
	for _, s := range bip48 {
		acct, _ = acct.Derive(s)
	}
	apub, _ := acct.Neuter()
	keys = append(keys, "["+hex.EncodeToString(btcutil.Hash160(opub.SerializeCompressed())[:4])+"/48h/0h/0h/2h]"+apub.String()+"/<0;1>/*")
	m, err := descriptor.ParseMultisig("wsh(sortedmulti(2,"+strings.Join(keys, ",")+"))", descriptor.Mainnet)
	if err != nil {
		t.Fatal(err)
	}
	fx := newFixtureOf(t, portfolio.WalletConfig{ID: "vault", Name: "Family vault", Descriptor: m.String(), Network: "mainnet",
		Backend: portfolio.Backend{Kind: "electrum", Server: "ssl://electrum.example.org:50002"}}, &chaincfg.MainNetParams)
	fx.sync(t)
	for _, i := range registered {
		ms := common.DeviceMultisig(m, "Family vault")
		reg, err := devs[i].(device.MultisigDevice).RegisterMultisig(ctx, ms)
		if err != nil {
			t.Fatal(err)
		}
		fpr, _ := devs[i].Fingerprint(ctx)
		fx.p.Registrations = append(fx.p.Registrations, portfolio.Registration{Descriptor: m.String(), Name: "Family vault",
			Fingerprint: fmt.Sprintf("%08x", fpr), Data: hex.EncodeToString(reg)})
	}
	fx.svc.FeeRate = func(ctx context.Context, cfg portfolio.WalletConfig, target int) (float64, error) { return 5, nil }
	fx.signWith(hub, addrs...)
	fx.sims = addrs
	return fx
}

// TestWalletsMultisig shows a multisig wallet (its policy, its cosigners
// and on which of their devices it is registered) and pays from it: the
// first cosigner's device signs from the summary, the screen asks for
// the next one, the second signs, and the transaction broadcast is the
// finalized 2-of-2 spend the screen named.
func TestWalletsMultisig(t *testing.T) {
	fx := multisigFixture(t, 0, 1)
	t.Run("Receive", func(t *testing.T) {
		for _, s := range sizes {
			t.Run(fmt.Sprintf("%dx%d", s.w, s.h), func(t *testing.T) {
				m := fx.model(t, s.w, s.h)
				frame := tuitest.Plain(m)
				if !strings.Contains(frame, "2-of-3 wsh sortedmulti") || !strings.Contains(frame, mustAddr(t, fx.w, 3)) {
					t.Errorf("no policy or next address:\n%s", frame)
				}
				golden.RequireEqual(t, []byte(frame))
			})
		}
	})
	t.Run("Addresses", func(t *testing.T) {
		m := fx.model(t, 160, 48)
		tuitest.Press(m, m.Context().Keys.ViewAddresses)
		if frame := tuitest.Plain(m); !strings.Contains(frame, mustAddr(t, fx.w, 1)) {
			t.Errorf("receive address 1 is not listed:\n%s", frame)
		}
		golden.RequireEqual(t, []byte(tuitest.Plain(m)))
	})

	wd, _ := os.Getwd()
	t.Chdir(t.TempDir())
	m := fx.fileModel(t, 100, 40)
	km := m.Context().Keys
	s := walletsScreen(t, m)
	path := buildSummary(t, m)
	if !strings.Contains(tuitest.Plain(m), "cosigner's device") {
		t.Fatalf("the summary does not offer signing in turn:\n%s", tuitest.Plain(m))
	}
	tuitest.Press(m, km.SignOnDevice)
	t.Run("FirstCosigner", func(t *testing.T) { goldenAt(t, wd, m) })
	if _, _, ok := s.SignedTx(); ok || !strings.Contains(flat(m), "Plug in the next cosigner's device") {
		t.Fatalf("after the first cosigner:\n%s", tuitest.Plain(m))
	}
	partial, err := wallet.ReadPSBTFile(wallet.SignedPSBTPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if have, need, ok := wallet.MultisigSignatures(&partial.Inputs[0]); !ok || have != 1 || need != 2 {
		t.Fatalf("the file holds %d of %d signatures", have, need)
	}

	tuitest.Press(m, km.SignOnDevice)
	t.Run("SecondCosigner", func(t *testing.T) { goldenAt(t, wd, m) })
	txid, _, ok := s.SignedTx()
	if !ok {
		t.Fatalf("not signed after the second cosigner:\n%s", tuitest.Plain(m))
	}
	signed, err := wallet.ReadPSBTFile(wallet.SignedPSBTPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if err := wallet.Finalize(signed); err != nil {
		t.Fatal(err)
	}
	if tx := mustTx(t, signed); tx.TxHash().String() != txid || len(tx.TxIn[0].Witness) != 4 {
		t.Fatalf("the signed file gives %s with a witness of %d items; the screen says %s", tx.TxHash(), len(tx.TxIn[0].Witness), txid)
	}
	fx.broadcastFromSummary(t, m, txid, signed)
}

// TestWalletsMultisigUnregistered: with the wallet registered on one
// cosigner's device only, that one signs and the screen says the others
// sign the file from the command line; with none, the summary says to
// register it.
func TestWalletsMultisigUnregistered(t *testing.T) {
	t.Run("One", func(t *testing.T) {
		t.Chdir(t.TempDir())
		m := multisigFixture(t, 1).fileModel(t, 100, 40)
		buildSummary(t, m)
		tuitest.Press(m, m.Context().Keys.SignOnDevice)
		if frame := flat(m); !strings.Contains(frame, "hardfolio wallet sign vault") || !strings.Contains(frame, "1 of 2 signatures") {
			t.Fatalf("after the only registered cosigner:\n%s", frame)
		}
	})
	t.Run("None", func(t *testing.T) {
		t.Chdir(t.TempDir())
		m := multisigFixture(t).fileModel(t, 100, 40)
		buildSummary(t, m)
		frame := flat(m)
		if !strings.Contains(frame, "Sign it with any PSBT signer") {
			t.Fatalf("no registration, yet signing is offered:\n%s", frame)
		}
		tuitest.Press(m, m.Context().Keys.SignOnDevice)
		if frame := flat(m); !strings.Contains(frame, "hardfolio hw register") {
			t.Fatalf("signing without a registration:\n%s", frame)
		}
	})
}

// flat is the frame's words joined by single spaces, so that a search
// does not depend on where lines wrap.
func flat(m *tui.Model) string { return strings.Join(strings.Fields(tuitest.Plain(m)), " ") }

// TestDevicesMultisig: the Devices screen lists a multisig wallet under
// each cosigner's device and shows its next receive address on a device
// the wallet is registered on, through the registration; on a device it
// is not registered on, it says how to register it.
func TestDevicesMultisig(t *testing.T) {
	fx := multisigFixture(t, 1) // registered on the second device only
	bk := book.OpenDemo(tuitest.Clock)
	if err := bk.Save(fx.p); err != nil {
		t.Fatal(err)
	}
	m := tui.New(tui.Options{Book: bk, Now: tuitest.Now, Theme: "dark", Getenv: env,
		Speculos: fx.sims, Devices: deviceService(), Wallets: &fx.svc})
	tuitest.Send(m, tea.WindowSizeMsg{Width: 120, Height: 40})
	km := m.Context().Keys
	tuitest.Press(m, km.Screen[devicesScreen])
	want := mustAddr(t, fx.w, 3) // the next unused receive address of the sync
	seen := map[string]bool{}
	for range devicesOf(m).Devices() {
		frame := flat(m)
		if !strings.Contains(frame, "vault mainnet · 2-of-3 wsh sortedmulti, a cosigner") {
			t.Fatalf("the wallet is not listed under the device:\n%s", tuitest.Plain(m))
		}
		switch {
		case strings.Contains(frame, "fingerprint 73c5da0a"):
			seen["73c5da0a"] = true
			if !strings.Contains(frame, "not registered on this device: hardfolio hw register --device URI --wallet vault") {
				t.Errorf("unregistered device:\n%s", tuitest.Plain(m))
			}
		case strings.Contains(frame, "fingerprint f5acc2fd"):
			seen["f5acc2fd"] = true
			tuitest.Press(m, km.VerifyAddress)
			local, shown, match, ok := devicesOf(m).Verified()
			if !ok || !match || local != want || shown != want {
				t.Errorf("verified %q on the device %q (match %v, ok %v), want %s: %s", local, shown, match, ok, want, devicesOf(m).Message())
			}
		}
		tuitest.Press(m, km.Down)
	}
	if len(seen) != 2 {
		t.Fatalf("devices seen: %v", seen)
	}
}
