package btcapp_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/apdu"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/btcapp"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/policy"
	simledger "codeberg.org/hardfolio/hardfolio/hw/sim/ledger"
	"codeberg.org/hardfolio/hardfolio/hw/sim/simtest"
	"codeberg.org/hardfolio/hardfolio/hw/transport"
)

// TestClientAgainstSimulator drives our client through the Speculos TCP
// transport against the simulated device on 127.0.0.1, and checks what the
// device derives against what the test derives from the account key
// itself: two implementations that must agree.
func TestClientAgainstSimulator(t *testing.T) {
	addr, dev := simtest.Ledger(t, simledger.Options{Network: &chaincfg.TestNet3Params})

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sp, err := transport.DialSpeculos(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	c := btcapp.New(sp)

	info, err := c.AppAndVersion(ctx)
	if err != nil || info.Name != "Bitcoin Test" {
		t.Fatalf("app %+v, %v", info, err)
	}
	fpr, err := c.MasterFingerprint(ctx)
	if err != nil || fpr != 0xf5acc2fd {
		t.Fatalf("fingerprint %08x, %v; want Speculos' default seed's f5acc2fd", fpr, err)
	}

	for _, kind := range []policy.Kind{policy.Legacy, policy.NestedSegwit, policy.NativeSegwit, policy.Taproot} {
		path := kind.AccountPath(1, 0)
		xpub, err := c.ExtendedPubkey(ctx, path, false)
		if err != nil {
			t.Fatalf("%s: xpub: %v", kind, err)
		}
		p := policy.Default(kind, fpr, 1, 0, xpub)
		for _, at := range []struct {
			change bool
			index  uint32
		}{{false, 0}, {false, 5}, {true, 3}} {
			got, err := c.WalletAddress(ctx, p, nil, at.change, at.index, false)
			if err != nil {
				t.Fatalf("%s %v/%d: %v", kind, at.change, at.index, err)
			}
			if want := localAddress(t, kind, xpub, at.change, at.index); got != want {
				t.Errorf("%s %v/%d: device says %s, the account key gives %s", kind, at.change, at.index, got, want)
			}
		}
	}

	// Typed errors for the device's states.
	for _, c2 := range []struct {
		faults simledger.Faults
		want   error
	}{
		{simledger.Faults{Locked: true}, apdu.ErrLocked},
		{simledger.Faults{Dashboard: true}, apdu.ErrWrongApp},
	} {
		dev.SetFaults(c2.faults)
		if _, err := c.MasterFingerprint(ctx); !errors.Is(err, c2.want) {
			t.Errorf("faults %+v: error %v, want %v", c2.faults, err, c2.want)
		}
	}
	dev.SetFaults(simledger.Faults{RejectNext: true})
	if _, err := c.ExtendedPubkey(ctx, policy.NativeSegwit.AccountPath(1, 0), true); !errors.Is(err, apdu.ErrUserRejected) {
		t.Errorf("rejected on the device: error %v", err)
	}
}

// localAddress derives the address at change/index under the account key
// as each default policy defines it.
func localAddress(t *testing.T, kind policy.Kind, xpub string, change bool, index uint32) string {
	t.Helper()
	net := &chaincfg.TestNet3Params
	k, err := hdkeychain.NewKeyFromString(xpub)
	if err != nil {
		t.Fatal(err)
	}
	branch := uint32(0)
	if change {
		branch = 1
	}
	if k, err = k.Derive(branch); err == nil {
		k, err = k.Derive(index)
	}
	if err != nil {
		t.Fatal(err)
	}
	pub, err := k.ECPubKey()
	if err != nil {
		t.Fatal(err)
	}
	hash := btcutil.Hash160(pub.SerializeCompressed())
	var addr btcutil.Address
	switch kind {
	case policy.Legacy:
		addr, err = btcutil.NewAddressPubKeyHash(hash, net)
	case policy.NativeSegwit:
		addr, err = btcutil.NewAddressWitnessPubKeyHash(hash, net)
	case policy.NestedSegwit:
		redeem := append([]byte{txscript.OP_0, 20}, hash...)
		addr, err = btcutil.NewAddressScriptHash(redeem, net)
	case policy.Taproot:
		addr, err = btcutil.NewAddressTaproot(txscript.ComputeTaprootKeyNoScript(pub).SerializeCompressed()[1:], net)
	}
	if err != nil {
		t.Fatal(err)
	}
	return addr.EncodeAddress()
}
