package trezor_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/bits"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	simtrezor "codeberg.org/hardfolio/hardfolio/hw/sim/trezor"
	"codeberg.org/hardfolio/hardfolio/hw/trezor"
	tw "codeberg.org/hardfolio/hardfolio/hw/trezor/wire"
)

// kinds of single-sig accounts, by BIP purpose.
var purposes = map[string]uint32{"pkh": 44, "sh-wpkh": 49, "wpkh": 84, "tr": 86}

// account is a watch-only account built from the device's own xpub, as a
// wallet would.
type account struct {
	kind string
	path []uint32
	key  *hdkeychain.ExtendedKey
	fpr  uint32
}

func newAccount(t testing.TB, c *trezor.Client, kind string) account {
	t.Helper()
	path := []uint32{h | purposes[kind], h | 1, h}
	pk, err := c.PublicKey(ctx(t), "Testnet", path, tw.SpendAddress, false)
	if err != nil {
		t.Fatal(err)
	}
	key, err := hdkeychain.NewKeyFromString(pk.Xpub)
	if err != nil {
		t.Fatal(err)
	}
	fpr, err := c.MasterFingerprint(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	return account{kind, path, key, fpr}
}

// at returns the public key, output script and redeem script (sh-wpkh) of
// chain/index.
func (a account) at(t testing.TB, chain, index uint32) (pub, script, redeem []byte) {
	k, err := a.key.Derive(chain)
	if err == nil {
		k, err = k.Derive(index)
	}
	if err != nil {
		t.Fatal(err)
	}
	ec, _ := k.ECPubKey()
	pub = ec.SerializeCompressed()
	hash := btcutil.Hash160(pub)
	switch a.kind {
	case "pkh":
		script, _ = txscript.NewScriptBuilder().AddOp(txscript.OP_DUP).AddOp(txscript.OP_HASH160).AddData(hash).AddOp(txscript.OP_EQUALVERIFY).AddOp(txscript.OP_CHECKSIG).Script()
	case "wpkh":
		script = append([]byte{0, 20}, hash...)
	case "sh-wpkh":
		redeem = append([]byte{0, 20}, hash...)
		script, _ = txscript.NewScriptBuilder().AddOp(txscript.OP_HASH160).AddData(btcutil.Hash160(redeem)).AddOp(txscript.OP_EQUAL).Script()
	case "tr":
		script = append([]byte{txscript.OP_1, 32}, schnorr.SerializePubKey(txscript.ComputeTaprootKeyNoScript(ec))...)
	}
	return pub, script, redeem
}

func (a account) derivation(pub []byte, chain, index uint32) []uint32 {
	return append(append([]uint32{}, a.path...), chain, index)
}

// spendPSBT builds a PSBT spending n coins of the account (each from its
// own previous transaction, at output 1) to an external address, with
// change back to the account. It returns the prevouts for verification.
func spendPSBT(t testing.TB, a account, n int) (*psbt.Packet, map[wire.OutPoint]*wire.TxOut) {
	t.Helper()
	var ops []*wire.OutPoint
	var seqs []uint32
	prevTxs := []*wire.MsgTx{}
	prevouts := map[wire.OutPoint]*wire.TxOut{}
	var total int64
	for i := 0; i < n; i++ {
		_, script, _ := a.at(t, 0, uint32(i))
		prev := wire.NewMsgTx(2)
		var src chainhash.Hash
		src[0], src[1] = byte(i), 0x77
		prev.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: src, Index: 3}, SignatureScript: []byte{0x51}, Sequence: 0xfffffffe})
		prev.AddTxOut(wire.NewTxOut(1234, []byte{txscript.OP_RETURN}))
		amount := int64(100_000 + 1000*i)
		prev.AddTxOut(wire.NewTxOut(amount, script))
		op := wire.OutPoint{Hash: prev.TxHash(), Index: 1}
		ops = append(ops, &op)
		seqs = append(seqs, 0xfffffffd)
		prevTxs = append(prevTxs, prev)
		prevouts[op] = prev.TxOut[1]
		total += amount
	}
	extScript := append([]byte{0, 20}, bytes.Repeat([]byte{0xab}, 20)...)
	changePub, changeScript, changeRedeem := a.at(t, 1, 5)
	outs := []*wire.TxOut{wire.NewTxOut(60_000, extScript), wire.NewTxOut(total-60_000-2_000, changeScript)}
	pkt, err := psbt.New(ops, outs, 2, 500, seqs)
	if err != nil {
		t.Fatal(err)
	}
	pfpr := bits.ReverseBytes32(a.fpr)
	for i := range pkt.Inputs {
		pub, _, redeem := a.at(t, 0, uint32(i))
		in := &pkt.Inputs[i]
		if a.kind != "tr" {
			in.NonWitnessUtxo = prevTxs[i]
		}
		if a.kind != "pkh" {
			in.WitnessUtxo = prevTxs[i].TxOut[1]
		}
		in.RedeemScript = redeem
		path := a.derivation(pub, 0, uint32(i))
		if a.kind == "tr" {
			in.TaprootBip32Derivation = []*psbt.TaprootBip32Derivation{{XOnlyPubKey: pub[1:], MasterKeyFingerprint: pfpr, Bip32Path: path}}
		} else {
			in.Bip32Derivation = []*psbt.Bip32Derivation{{PubKey: pub, MasterKeyFingerprint: pfpr, Bip32Path: path}}
		}
	}
	out := &pkt.Outputs[1]
	out.RedeemScript = changeRedeem
	if a.kind == "tr" {
		out.TaprootBip32Derivation = []*psbt.TaprootBip32Derivation{{XOnlyPubKey: changePub[1:], MasterKeyFingerprint: pfpr, Bip32Path: a.derivation(changePub, 1, 5)}}
	} else {
		out.Bip32Derivation = []*psbt.Bip32Derivation{{PubKey: changePub, MasterKeyFingerprint: pfpr, Bip32Path: a.derivation(changePub, 1, 5)}}
	}
	return pkt, prevouts
}

// verifyTx runs every input of tx through the script engine.
func verifyTx(t *testing.T, tx *wire.MsgTx, prevouts map[wire.OutPoint]*wire.TxOut) {
	t.Helper()
	fetcher := txscript.NewMultiPrevOutFetcher(prevouts)
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i, in := range tx.TxIn {
		po := prevouts[in.PreviousOutPoint]
		vm, err := txscript.NewEngine(po.PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, po.Value, fetcher)
		if err != nil {
			t.Fatal(err)
		}
		if err := vm.Execute(); err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
	}
}

func serialize(t *testing.T, p *psbt.Packet) []byte {
	var b bytes.Buffer
	if err := p.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSignPSBTEveryScriptType(t *testing.T) {
	for _, kind := range []string{"pkh", "sh-wpkh", "wpkh", "tr"} {
		t.Run(kind, func(t *testing.T) {
			ui := &testUI{}
			_, c := start(t, simtrezor.Options{Mnemonic: abandon}, ui)
			a := newAccount(t, c, kind)
			pkt, prevouts := spendPSBT(t, a, 2)
			before := serialize(t, pkt)
			sigs, res, err := c.SignPSBT(ctx(t), pkt, trezor.Testnet, a.fpr)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, serialize(t, pkt)) {
				t.Fatal("the PSBT was modified")
			}
			// The device's own serialisation verifies.
			var tx wire.MsgTx
			if err := tx.Deserialize(bytes.NewReader(res.Serialized)); err != nil {
				t.Fatal(err)
			}
			bare := tx.Copy()
			for _, in := range bare.TxIn {
				in.SignatureScript, in.Witness = nil, nil
			}
			if bare.TxHash() != pkt.UnsignedTx.TxHash() {
				t.Fatal("the device signed another transaction")
			}
			verifyTx(t, &tx, prevouts)
			// And its signatures, in PSBT form, are for the right keys.
			if len(sigs) != 2 {
				t.Fatalf("%d signatures", len(sigs))
			}
			for _, s := range sigs {
				pub, _, _ := a.at(t, 0, uint32(s.Input))
				if kind == "tr" {
					if !bytes.Equal(s.PubKey, pub[1:]) || len(s.Signature) != 64 || !bytes.Equal(tx.TxIn[s.Input].Witness[0], s.Signature) {
						t.Fatalf("taproot signature %d: %x", s.Input, s.Signature)
					}
					continue
				}
				if !bytes.Equal(s.PubKey, pub) || s.Signature[len(s.Signature)-1] != byte(txscript.SigHashAll) {
					t.Fatalf("signature %d: %x", s.Input, s.Signature)
				}
			}
			// Only the external output was shown, then the total.
			want := []uint32{tw.ButtonConfirmOutput, tw.ButtonSignTx}
			if fmt.Sprint(ui.buttons) != fmt.Sprint(want) {
				t.Fatalf("buttons %v, want %v (change must not be shown)", ui.buttons, want)
			}
		})
	}
}

// A Trezor streams previous transactions for non-taproot inputs only.
func TestSignRoundTrips(t *testing.T) {
	for _, tc := range []struct {
		kind string
		n    int
	}{{"wpkh", 1}, {"wpkh", 3}, {"tr", 3}} {
		_, c := start(t, simtrezor.Options{Mnemonic: abandon}, nil)
		a := newAccount(t, c, tc.kind)
		pkt, _ := spendPSBT(t, a, tc.n)
		_, res, err := c.SignPSBT(ctx(t), pkt, trezor.Testnet, a.fpr)
		if err != nil {
			t.Fatal(err)
		}
		// SignTx, n inputs, 2 outputs, 2 button acks, then (segwit v0)
		// per input meta + 1 prev input + 2 prev outputs, then n inputs
		// and 2 outputs again.
		want := int64(1 + tc.n + 2 + 2 + tc.n + 2)
		if tc.kind != "tr" {
			want += int64(tc.n * 4)
		}
		if res.RoundTrips != want {
			t.Errorf("%s x%d: %d round trips, want %d", tc.kind, tc.n, res.RoundTrips, want)
		}
	}
}

func TestSignErrors(t *testing.T) {
	dev, c := start(t, simtrezor.Options{Mnemonic: abandon}, nil)
	a := newAccount(t, c, "wpkh")

	// A previous transaction that is not the one spent: refused here.
	pkt, _ := spendPSBT(t, a, 2)
	other, _ := spendPSBT(t, a, 2)
	pkt.Inputs[1].NonWitnessUtxo = other.Inputs[0].NonWitnessUtxo
	if _, _, err := c.SignPSBT(ctx(t), pkt, trezor.Testnet, a.fpr); !errors.Is(err, trezor.ErrPrevTx) {
		t.Fatalf("mismatched previous tx: %v", err)
	}

	// The device finds a previous transaction that does not hash right.
	pkt, _ = spendPSBT(t, a, 1)
	before := serialize(t, pkt)
	dev.SetFaults(simtrezor.Faults{BadPrevHash: true})
	if _, _, err := c.SignPSBT(ctx(t), pkt, trezor.Testnet, a.fpr); !errors.Is(err, trezor.ErrDataError) {
		t.Fatalf("bad prev hash: %v", err)
	}
	if !bytes.Equal(before, serialize(t, pkt)) {
		t.Fatal("the PSBT was modified")
	}

	// The user refuses the output.
	dev.SetFaults(simtrezor.Faults{RejectNext: true})
	if _, _, err := c.SignPSBT(ctx(t), pkt, trezor.Testnet, a.fpr); !errors.Is(err, trezor.ErrCancelled) {
		t.Fatalf("refused: %v", err)
	}

	// Missing previous transaction for a segwit v0 input: the device asks
	// for it and the client says what is missing.
	dev.SetFaults(simtrezor.Faults{})
	pkt.Inputs[0].NonWitnessUtxo = nil
	if _, _, err := c.SignPSBT(ctx(t), pkt, trezor.Testnet, a.fpr); !errors.Is(err, trezor.ErrPrevTx) {
		t.Fatalf("missing previous tx: %v", err)
	}

	// Another seed's input.
	pkt, _ = spendPSBT(t, a, 1)
	if _, _, err := c.SignPSBT(ctx(t), pkt, trezor.Testnet, a.fpr^1); !errors.Is(err, trezor.ErrForeignInput) {
		t.Fatalf("foreign input: %v", err)
	}
	// A sighash type a Trezor does not sign.
	pkt.Inputs[0].SighashType = txscript.SigHashSingle
	if _, _, err := c.SignPSBT(ctx(t), pkt, trezor.Testnet, a.fpr); !errors.Is(err, trezor.ErrPSBT) {
		t.Fatalf("sighash single: %v", err)
	}

	// The device still works after all this.
	pkt, _ = spendPSBT(t, a, 1)
	if _, _, err := c.SignPSBT(ctx(t), pkt, trezor.Testnet, a.fpr); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkSignTx10Wpkh signs a 10-input wpkh PSBT with change on the
// simulator over loopback UDP: the figures of docs/performance.md.
func BenchmarkSignTx10Wpkh(b *testing.B) {
	_, c := start(b, simtrezor.Options{Mnemonic: abandon}, nil)
	a := newAccount(b, c, "wpkh")
	pkt, _ := spendPSBT(b, a, 10)
	var trips int64
	for b.Loop() {
		_, res, err := c.SignPSBT(ctx(b), pkt, trezor.Testnet, a.fpr)
		if err != nil {
			b.Fatal(err)
		}
		trips = res.RoundTrips
	}
	b.ReportMetric(float64(trips), "roundtrips/op")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/10/1000, "ms/input")
}
