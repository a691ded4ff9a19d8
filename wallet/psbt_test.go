package wallet

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

var allTypes = []descriptor.ScriptType{descriptor.PKH, descriptor.SHWPKH, descriptor.WPKH, descriptor.TR}

// fundedWallet returns a synced wallet of the type holding three confirmed
// outputs (1, 0.5 and 0.2 BTC) on receive addresses 0-2.
func fundedWallet(t *testing.T, typ descriptor.ScriptType) (*Wallet, *memChain, *State) {
	t.Helper()
	w := testWallet(t, typ)
	c := newMemChain(200)
	var scripts [][]byte
	for i := uint32(0); i < 3; i++ {
		scripts = append(scripts, derive(t, w, false, i).Script)
	}
	c.add(fund("f", scripts, []int64{100_000_000, 50_000_000, 20_000_000}), 150)
	return w, c, syncOK(t, w, c, nil)
}

// sign plays the hardware wallet: for every input it derives the private
// key from the test seed along the path the PSBT gives (checking the
// fingerprint), and adds a signature. only, when not nil, limits signing
// to those inputs.
func sign(t *testing.T, p *psbt.Packet, only map[int]bool) {
	t.Helper()
	m := testMaster(t)
	fp := fingerprint(t, m)
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	prevs := make([]*wire.TxOut, len(p.Inputs))
	for i, in := range p.Inputs {
		op := p.UnsignedTx.TxIn[i].PreviousOutPoint
		if in.NonWitnessUtxo == nil || in.NonWitnessUtxo.TxHash() != op.Hash {
			t.Fatalf("input %d: no or wrong NON_WITNESS_UTXO", i)
		}
		prevs[i] = in.NonWitnessUtxo.TxOut[op.Index]
		if in.WitnessUtxo != nil && !bytes.Equal(in.WitnessUtxo.PkScript, prevs[i].PkScript) {
			t.Fatalf("input %d: WITNESS_UTXO differs from NON_WITNESS_UTXO", i)
		}
		fetcher.AddPrevOut(op, prevs[i])
	}
	hashes := txscript.NewTxSigHashes(p.UnsignedTx, fetcher)
	key := func(fingerprint uint32, path []uint32) *btcec.PrivateKey {
		if fingerprint != (descriptor.KeyOrigin{Fingerprint: fp}).PSBTFingerprint() {
			t.Fatalf("derivation for fingerprint %08x, not the device's", fingerprint)
		}
		k := m
		for _, step := range path {
			var err error
			if k, err = k.Derive(step); err != nil {
				t.Fatal(err)
			}
		}
		priv, err := k.ECPrivKey()
		if err != nil {
			t.Fatal(err)
		}
		return priv
	}
	for i := range p.Inputs {
		if only != nil && !only[i] {
			continue
		}
		in := &p.Inputs[i]
		prev := prevs[i]
		switch {
		case len(in.TaprootBip32Derivation) > 0:
			d := in.TaprootBip32Derivation[0]
			priv := key(d.MasterKeyFingerprint, d.Bip32Path)
			if !bytes.Equal(priv.PubKey().SerializeCompressed()[1:], d.XOnlyPubKey) || !bytes.Equal(in.TaprootInternalKey, d.XOnlyPubKey) {
				t.Fatalf("input %d: taproot derivation does not give its key", i)
			}
			sig, err := txscript.RawTxInTaprootSignature(p.UnsignedTx, hashes, i, prev.Value, prev.PkScript, nil, txscript.SigHashDefault, priv)
			if err != nil {
				t.Fatal(err)
			}
			in.TaprootKeySpendSig = sig
		case len(in.Bip32Derivation) > 0:
			d := in.Bip32Derivation[0]
			priv := key(d.MasterKeyFingerprint, d.Bip32Path)
			if !bytes.Equal(priv.PubKey().SerializeCompressed(), d.PubKey) {
				t.Fatalf("input %d: derivation does not give its key", i)
			}
			var sig []byte
			var err error
			switch {
			case txscript.IsPayToPubKeyHash(prev.PkScript):
				sig, err = txscript.RawTxInSignature(p.UnsignedTx, i, prev.PkScript, txscript.SigHashAll, priv)
			case txscript.IsPayToScriptHash(prev.PkScript):
				if len(in.RedeemScript) == 0 {
					t.Fatalf("input %d: P2SH without redeem script", i)
				}
				sig, err = txscript.RawTxInWitnessSignature(p.UnsignedTx, hashes, i, prev.Value, in.RedeemScript, txscript.SigHashAll, priv)
			default:
				sig, err = txscript.RawTxInWitnessSignature(p.UnsignedTx, hashes, i, prev.Value, prev.PkScript, txscript.SigHashAll, priv)
			}
			if err != nil {
				t.Fatal(err)
			}
			in.PartialSigs = append(in.PartialSigs, &psbt.PartialSig{PubKey: d.PubKey, Signature: sig})
		default:
			t.Fatalf("input %d has no derivation", i)
		}
	}
}

// TestSendEndToEnd builds, signs, finalizes, extracts and verifies a
// payment for each script type.
func TestSendEndToEnd(t *testing.T) {
	for _, typ := range allTypes {
		t.Run(typ.String(), func(t *testing.T) {
			w, c, st := fundedWallet(t, typ)
			to := foreignAddress(t, "recipient")
			d, err := BuildPSBT(st, Request{Recipients: []Recipient{{Address: to, Sats: 120_000_000}}, FeeRate: 12.5})
			if err != nil {
				t.Fatal(err)
			}
			p := d.Packet
			// Largest first: the 1 BTC and 0.5 BTC outputs.
			if len(d.Inputs) != 2 || len(p.UnsignedTx.TxIn) != 2 {
				t.Fatalf("%d inputs", len(d.Inputs))
			}
			if d.ChangeOutput < 0 || len(p.UnsignedTx.TxOut) != 2 {
				t.Fatalf("no change output")
			}
			tx := p.UnsignedTx
			if tx.LockTime != 200 {
				t.Errorf("locktime %d, want the tip height 200", tx.LockTime)
			}
			for _, in := range tx.TxIn {
				if in.Sequence != SequenceRBF {
					t.Errorf("sequence %x", in.Sequence)
				}
			}
			// Change: the first unused change address, with its derivation.
			ch := tx.TxOut[d.ChangeOutput]
			want := derive(t, w, true, 0)
			if !bytes.Equal(ch.PkScript, want.Script) || d.Change.Index != 0 || !d.Change.Change {
				t.Errorf("change to %x, want %x", ch.PkScript, want.Script)
			}
			out := p.Outputs[d.ChangeOutput]
			if typ == descriptor.TR {
				if len(out.TaprootBip32Derivation) != 1 || !bytes.Equal(out.TaprootInternalKey, want.InternalKey) ||
					len(out.TaprootBip32Derivation[0].LeafHashes) != 0 {
					t.Errorf("change output lacks its taproot derivation")
				}
			} else if len(out.Bip32Derivation) != 1 || !bytes.Equal(out.Bip32Derivation[0].PubKey, want.PubKey) {
				t.Errorf("change output lacks its derivation")
			}
			if typ == descriptor.SHWPKH && !bytes.Equal(out.RedeemScript, want.RedeemScript) {
				t.Errorf("change output lacks its redeem script")
			}
			// The path is the full origin path.
			var path []uint32
			if typ == descriptor.TR {
				path = out.TaprootBip32Derivation[0].Bip32Path
			} else {
				path = out.Bip32Derivation[0].Bip32Path
			}
			if len(path) != 5 || path[0] != purposes[typ]+hdkeychain.HardenedKeyStart || path[3] != 1 || path[4] != 0 {
				t.Errorf("change path %v", path)
			}
			for i, in := range p.Inputs {
				if (typ == descriptor.PKH) != (in.WitnessUtxo == nil) {
					t.Errorf("input %d: WITNESS_UTXO presence wrong for %s", i, typ)
				}
			}
			// Fee: what the draft says, and the amount balance.
			var inSum, outSum int64
			for _, u := range d.Inputs {
				inSum += u.Value
			}
			for _, o := range tx.TxOut {
				outSum += o.Value
			}
			if inSum-outSum != d.Fee {
				t.Errorf("fee %d, inputs-outputs %d", d.Fee, inSum-outSum)
			}

			// Through base64 and back, as to and from a device.
			var b bytes.Buffer
			if err := WritePSBT(&b, p, Base64); err != nil {
				t.Fatal(err)
			}
			p, err = ReadPSBT(&b)
			if err != nil {
				t.Fatal(err)
			}
			if err := Finalize(p); !errors.Is(err, ErrNotSigned) {
				t.Errorf("finalizing an unsigned PSBT: %v", err)
			}
			sign(t, p, nil)
			if err := Finalize(p); err != nil {
				t.Fatal(err)
			}
			final, err := Extract(p)
			if err != nil {
				t.Fatal(err)
			}
			// The estimate bounds the real size; the rate is at least the one asked.
			vs := vsizeOf(final)
			if vs > d.VSize || vs < d.VSize-3 {
				t.Errorf("vsize %d, estimated %d", vs, d.VSize)
			}
			if float64(d.Fee)/float64(vs) < 12.5 {
				t.Errorf("fee rate %.2f below 12.5", float64(d.Fee)/float64(vs))
			}

			// Broadcast and sync: the wallet sees its change.
			if _, err := c.Broadcast(t.Context(), final); err != nil {
				t.Fatal(err)
			}
			st2 := syncOK(t, w, c, st)
			if got := st2.Balance(); got.Confirmed != 20_000_000 || got.Unconfirmed != ch.Value {
				t.Errorf("balance after send %+v", got)
			}
			if h := st2.History(); h[0].Net != -(120_000_000+d.Fee) || h[0].Fee != d.Fee {
				t.Errorf("history %+v", h[0])
			}
		})
	}
}

// TestCombineSignatures signs half the inputs in each of two copies and
// combines them.
func TestCombineSignatures(t *testing.T) {
	_, _, st := fundedWallet(t, descriptor.WPKH)
	d, err := BuildPSBT(st, Request{Recipients: []Recipient{{Address: foreignAddress(t, "r"), Sats: 160_000_000}}, FeeRate: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Inputs) != 3 {
		t.Fatalf("%d inputs", len(d.Inputs))
	}
	a, _ := clonePacket(d.Packet)
	b, _ := clonePacket(d.Packet)
	sign(t, a, map[int]bool{0: true})
	sign(t, b, map[int]bool{1: true, 2: true})
	if err := Finalize(a); !errors.Is(err, ErrNotSigned) {
		t.Errorf("half-signed PSBT finalized: %v", err)
	}
	a, _ = clonePacket(d.Packet)
	sign(t, a, map[int]bool{0: true})
	c, err := Combine(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := Finalize(c); err != nil {
		t.Fatal(err)
	}
	if _, err := Extract(c); err != nil {
		t.Fatal(err)
	}
}

func TestExtractCatchesBadSignature(t *testing.T) {
	_, _, st := fundedWallet(t, descriptor.TR)
	d, err := BuildPSBT(st, Request{Recipients: []Recipient{{Address: foreignAddress(t, "r"), Sats: 10_000}}, FeeRate: 3})
	if err != nil {
		t.Fatal(err)
	}
	sign(t, d.Packet, nil)
	d.Packet.Inputs[0].TaprootKeySpendSig[5] ^= 1
	if err := Finalize(d.Packet); err != nil {
		t.Fatal(err)
	}
	if _, err := Extract(d.Packet); !errors.Is(err, ErrScript) {
		t.Errorf("bad signature extracted: %v", err)
	}
}

func TestBuildPSBTErrors(t *testing.T) {
	_, _, st := fundedWallet(t, descriptor.WPKH)
	to := foreignAddress(t, "r")
	cases := []struct {
		name string
		req  Request
		want error
	}{
		{"mainnet address", Request{Recipients: []Recipient{{"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", 10_000}}, FeeRate: 2}, nil},
		{"garbage address", Request{Recipients: []Recipient{{"nonsense", 10_000}}, FeeRate: 2}, nil},
		{"dust", Request{Recipients: []Recipient{{to, 293}}, FeeRate: 2}, ErrDust},
		{"zero", Request{Recipients: []Recipient{{to, 0}}, FeeRate: 2}, ErrBadRequest},
		{"no recipient", Request{FeeRate: 2}, ErrBadRequest},
		{"low rate", Request{Recipients: []Recipient{{to, 10_000}}, FeeRate: 0.01}, ErrBadRequest},
		{"too much", Request{Recipients: []Recipient{{to, 170_000_001}}, FeeRate: 2}, ErrInsufficientFunds},
		{"no room for fee", Request{Recipients: []Recipient{{to, 170_000_000}}, FeeRate: 2}, ErrInsufficientFunds},
		{"high rate", Request{Recipients: []Recipient{{to, 100_000_000}}, FeeRate: 1500}, ErrHighFee},
		{"high share", Request{Recipients: []Recipient{{to, 10_000}}, FeeRate: 50}, ErrHighFee},
		{"unknown input", Request{Recipients: []Recipient{{to, 10_000}}, FeeRate: 2, Inputs: []wire.OutPoint{{Index: 7}}}, ErrUnknownInput},
	}
	for _, c := range cases {
		_, err := BuildPSBT(st, c.req)
		if c.want == nil {
			var ae *AddressError
			if !errors.As(err, &ae) || ae.Address != c.req.Recipients[0].Address {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	_, err := BuildPSBT(st, Request{Recipients: []Recipient{{"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", 10_000}}, FeeRate: 2})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("mainnet")) {
		t.Errorf("wrong network error does not name the network: %v", err)
	}
	// AllowHighFee lifts the guard.
	if _, err := BuildPSBT(st, Request{Recipients: []Recipient{{to, 10_000}}, FeeRate: 50, AllowHighFee: true}); err != nil {
		t.Errorf("AllowHighFee: %v", err)
	}
}

func TestCoinControl(t *testing.T) {
	_, _, st := fundedWallet(t, descriptor.SHWPKH)
	u := st.UTXOs() // 1 BTC, 0.5, 0.2
	to := foreignAddress(t, "r")
	// Exactly the given inputs.
	d, err := BuildPSBT(st, Request{Recipients: []Recipient{{to, 1_000_000}}, FeeRate: 2, Inputs: []wire.OutPoint{u[2].OutPoint, u[1].OutPoint}})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Inputs) != 2 {
		t.Errorf("%d inputs, want the 2 given", len(d.Inputs))
	}
	// Frozen outputs are skipped: the largest is frozen, so 0.5 and 0.2 pay.
	d, err = BuildPSBT(st, Request{Recipients: []Recipient{{to, 60_000_000}}, FeeRate: 2, Frozen: []wire.OutPoint{u[0].OutPoint}})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range d.Inputs {
		if in.OutPoint == u[0].OutPoint {
			t.Errorf("frozen output spent")
		}
	}
	if _, err := BuildPSBT(st, Request{Recipients: []Recipient{{to, 1_000}}, FeeRate: 2,
		Inputs: []wire.OutPoint{u[0].OutPoint}, Frozen: []wire.OutPoint{u[0].OutPoint}}); !errors.Is(err, ErrBadRequest) {
		t.Errorf("frozen coin-control input: %v", err)
	}
	// Sweep: every output, fee from the recipient, no change.
	var all []wire.OutPoint
	for _, x := range u {
		all = append(all, x.OutPoint)
	}
	d, err = BuildPSBT(st, Request{Recipients: []Recipient{{to, 170_000_000}}, FeeRate: 4, Inputs: all, SubtractFee: true, NoRBF: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.ChangeOutput != -1 || len(d.Packet.UnsignedTx.TxOut) != 1 || d.Sent != 170_000_000-d.Fee {
		t.Errorf("sweep: change %d, sent %d, fee %d", d.ChangeOutput, d.Sent, d.Fee)
	}
	if d.Packet.UnsignedTx.TxIn[0].Sequence != SequenceLocktime {
		t.Errorf("NoRBF sequence %x", d.Packet.UnsignedTx.TxIn[0].Sequence)
	}
	sign(t, d.Packet, nil)
	if err := Finalize(d.Packet); err != nil {
		t.Fatal(err)
	}
	if _, err := Extract(d.Packet); err != nil {
		t.Fatal(err)
	}
}

func TestPSBTFiles(t *testing.T) {
	_, _, st := fundedWallet(t, descriptor.WPKH)
	d, err := BuildPSBT(st, Request{Recipients: []Recipient{{foreignAddress(t, "r"), 10_000}}, FeeRate: 2})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := d.Packet.B64Encode()
	for _, f := range []Format{Base64, Binary} {
		path := filepath.Join(t.TempDir(), "tx.psbt")
		if err := WritePSBTFile(path, d.Packet, f); err != nil {
			t.Fatal(err)
		}
		p, err := ReadPSBTFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := p.B64Encode(); got != want {
			t.Errorf("format %d: round trip changed the PSBT", f)
		}
	}
}
