package service_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/service"
)

// keySigner signs P2WPKH inputs with one key, as a device would, and then
// lets tamper change the result: a device that lies.
type keySigner struct {
	priv   *btcec.PrivateKey
	tamper func(p *psbt.Packet)
}

func (k keySigner) SignPSBT(ctx context.Context, in *psbt.Packet) (*psbt.Packet, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := in.Serialize(&b); err != nil {
		return nil, err
	}
	p, err := psbt.NewFromRawBytes(&b, false)
	if err != nil {
		return nil, err
	}
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for i, ti := range p.UnsignedTx.TxIn {
		fetcher.AddPrevOut(ti.PreviousOutPoint, p.Inputs[i].WitnessUtxo)
	}
	hashes := txscript.NewTxSigHashes(p.UnsignedTx, fetcher)
	for i := range p.Inputs {
		u := p.Inputs[i].WitnessUtxo
		sig, err := txscript.RawTxInWitnessSignature(p.UnsignedTx, hashes, i, u.Value, u.PkScript, txscript.SigHashAll, k.priv)
		if err != nil {
			return nil, err
		}
		p.Inputs[i].PartialSigs = append(p.Inputs[i].PartialSigs, &psbt.PartialSig{PubKey: k.priv.PubKey().SerializeCompressed(), Signature: sig})
	}
	if k.tamper != nil {
		k.tamper(p)
	}
	return p, nil
}

// signable is a PSBT spending one P2WPKH coin of key, with its derivation.
func signable(t *testing.T, key *btcec.PrivateKey) *psbt.Packet {
	t.Helper()
	pub := key.PubKey().SerializeCompressed()
	script := append([]byte{txscript.OP_0, txscript.OP_DATA_20}, btcutil.Hash160(pub)...)
	prev := wire.NewMsgTx(2)
	prev.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: chainhash.Hash{9}}})
	prev.AddTxOut(wire.NewTxOut(100_000, script))
	p, err := psbt.New([]*wire.OutPoint{{Hash: prev.TxHash()}}, []*wire.TxOut{wire.NewTxOut(90_000, script)}, 2, 0, []uint32{wallet.SequenceRBF})
	if err != nil {
		t.Fatal(err)
	}
	p.Inputs[0].WitnessUtxo = prev.TxOut[0]
	p.Inputs[0].NonWitnessUtxo = prev
	p.Inputs[0].Bip32Derivation = []*psbt.Bip32Derivation{{PubKey: pub, MasterKeyFingerprint: 1, Bip32Path: []uint32{0, 1}}}
	return p
}

func serialized(t *testing.T, p *psbt.Packet) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := p.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestSignWith: an honest signer's result is finalized and verified; every
// kind of tampering is refused; the PSBT given is never changed.
func TestSignWith(t *testing.T) {
	key, _ := btcec.NewPrivateKey()
	other, _ := btcec.NewPrivateKey()
	ctx := context.Background()

	p := signable(t, key)
	orig := serialized(t, p)
	res, err := service.SignWith(ctx, keySigner{priv: key}, p)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || res.Added != 1 || res.Fee != 10_000 || res.Tx == nil || res.Final.Inputs[0].FinalScriptWitness == nil {
		t.Fatalf("result %+v", res)
	}
	if !bytes.Equal(serialized(t, p), orig) {
		t.Fatal("SignWith changed the PSBT it was given")
	}

	for _, c := range []struct {
		name   string
		tamper func(p *psbt.Packet)
		signer *btcec.PrivateKey
		want   error
	}{
		{"changed output", func(p *psbt.Packet) { p.UnsignedTx.TxOut[0].Value-- }, key, service.ErrSignerChanged},
		{"change derivation", func(p *psbt.Packet) {
			p.Outputs[0].Bip32Derivation = []*psbt.Bip32Derivation{{PubKey: other.PubKey().SerializeCompressed(), Bip32Path: []uint32{7}}}
		}, key, service.ErrSignerChanged},
		{"input amount", func(p *psbt.Packet) {
			p.Inputs[0].WitnessUtxo = wire.NewTxOut(200_000, p.Inputs[0].WitnessUtxo.PkScript)
		}, key, service.ErrSignerChanged},
		{"foreign key", nil, other, service.ErrSignerChanged},
		{"nothing", func(p *psbt.Packet) { p.Inputs[0].PartialSigs = nil }, key, service.ErrNothingSigned},
		{"bad signature", func(p *psbt.Packet) {
			s := p.Inputs[0].PartialSigs[0].Signature
			s[len(s)-3] ^= 1
		}, key, wallet.ErrScript},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := signable(t, key)
			res, err := service.SignWith(ctx, keySigner{priv: c.signer, tamper: c.tamper}, p)
			if !errors.Is(err, c.want) || res != nil {
				t.Fatalf("result %v, error %v; want %v", res, err, c.want)
			}
			if !bytes.Equal(serialized(t, p), orig) {
				t.Fatal("the PSBT changed")
			}
		})
	}

	// A cancelled context: the signer's error, nothing returned.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if res, err := service.SignWith(cctx, keySigner{priv: key}, p); !errors.Is(err, context.Canceled) || res != nil {
		t.Fatalf("cancelled: %v, %v", res, err)
	}
}
