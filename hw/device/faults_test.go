package device

import (
	"bytes"
	"context"
	"errors"
	"math/bits"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/apdu"
	simledger "codeberg.org/hardfolio/hardfolio/hw/sim/ledger"
	"codeberg.org/hardfolio/hardfolio/hw/sim/simtest"
	"codeberg.org/hardfolio/hardfolio/hw/transport"
)

// wpkhPSBT spends receive 0..n-1 of the device's m/84'/1'/0' account, with
// the previous transaction, witness UTXOs and key derivations.
func wpkhPSBT(t *testing.T, ctx context.Context, d Device, n int) *psbt.Packet {
	t.Helper()
	acct := []uint32{84 | Hardened, 1 | Hardened, Hardened}
	xpub, err := d.Xpub(ctx, acct, false)
	if err != nil {
		t.Fatal(err)
	}
	fpr, err := d.Fingerprint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := hdkeychain.NewKeyFromString(xpub)
	chain, _ := k.Derive(0)
	prev := wire.NewMsgTx(2)
	prev.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: chainhash.Hash{3}}})
	var pubs [][]byte
	for i := range n {
		c, _ := chain.Derive(uint32(i))
		pub, _ := c.ECPubKey()
		pubs = append(pubs, pub.SerializeCompressed())
		prev.AddTxOut(wire.NewTxOut(100_000, append([]byte{txscript.OP_0, txscript.OP_DATA_20}, btcutil.Hash160(pubs[i])...)))
	}
	var ins []*wire.OutPoint
	seqs := make([]uint32, n)
	for i := range n {
		ins = append(ins, &wire.OutPoint{Hash: prev.TxHash(), Index: uint32(i)})
	}
	pkt, err := psbt.New(ins, []*wire.TxOut{wire.NewTxOut(int64(n)*100_000-1000, prev.TxOut[0].PkScript)}, 2, 0, seqs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		in := &pkt.Inputs[i]
		in.NonWitnessUtxo, in.WitnessUtxo = prev, prev.TxOut[i]
		in.Bip32Derivation = []*psbt.Bip32Derivation{{PubKey: pubs[i], MasterKeyFingerprint: bits.ReverseBytes32(fpr),
			Bip32Path: append(append([]uint32{}, acct...), 0, uint32(i))}}
	}
	return pkt
}

// TestSignFaults drives SignPSBT into a device that goes away in the
// middle of signing and one that stops answering: each gives a typed error
// promptly, with a hint, and the PSBT is unchanged. Afterwards the device
// signs again.
func TestSignFaults(t *testing.T) {
	hold := make(chan struct{})
	defer close(hold)
	var stall atomic.Bool
	addr, sim := simtest.Ledger(t, simledger.Options{Network: &chaincfg.TestNet3Params, Confirm: func(ctx context.Context, _ simledger.Screen) bool {
		if stall.Load() {
			select { // the device stops answering at its screen
			case <-hold:
			case <-ctx.Done():
			}
		}
		return true
	}})
	ctx := context.Background()
	open := func() Device {
		d, err := NewHub().Open(ctx, "speculos:"+addr)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := open()
	pkt := wpkhPSBT(t, ctx, d, 4)
	var orig bytes.Buffer
	pkt.Serialize(&orig)
	unchanged := func() {
		var now bytes.Buffer
		pkt.Serialize(&now)
		if !bytes.Equal(now.Bytes(), orig.Bytes()) {
			t.Fatal("the PSBT changed")
		}
	}

	// Unplugged after 40 more exchanges: in the middle of SIGN_PSBT.
	sim.SetFaults(simledger.Faults{DisconnectAfter: 40})
	start := time.Now()
	out, err := d.SignPSBT(ctx, pkt)
	if !errors.Is(err, transport.ErrGone) || out != nil || Hint(err) == "" {
		t.Fatalf("unplugged mid-signing: %v, %v (hint %q)", out, err, Hint(err))
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
	unchanged()
	d.Close()

	// Plugged in again, it stops answering at its confirmation screen: the
	// caller's deadline ends the exchange.
	sim.SetFaults(simledger.Faults{})
	stall.Store(true)
	d = open()
	tctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	start = time.Now()
	out, err = d.SignPSBT(tctx, pkt)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || out != nil {
		t.Fatalf("stalled device: %v, %v", out, err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("a stalled device held the exchange for %v", time.Since(start))
	}
	unchanged()
	d.Close()

	// A locked device and a refusal: typed, with hints, nothing changed.
	hold <- struct{}{} // let the stalled command end so the next connection is served
	stall.Store(false)
	for _, c := range []struct {
		f    simledger.Faults
		want error
	}{{simledger.Faults{Locked: true}, apdu.ErrLocked}, {simledger.Faults{RejectNext: true}, apdu.ErrUserRejected}} {
		sim.SetFaults(c.f)
		d = open()
		if out, err := d.SignPSBT(ctx, pkt); !errors.Is(err, c.want) || out != nil || Hint(err) == "" {
			t.Fatalf("%+v: %v, %v", c.f, out, err)
		}
		d.Close()
		unchanged()
	}
	sim.SetFaults(simledger.Faults{})
	d = open()
	defer d.Close()
	if out, err = d.SignPSBT(ctx, pkt); err != nil || len(out.Inputs[3].PartialSigs) != 1 {
		t.Fatalf("after the faults: %v", err)
	}
	unchanged()
}
