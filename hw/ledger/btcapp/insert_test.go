package btcapp

import (
	"bytes"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

func TestInsertSignatures(t *testing.T) {
	pkt, err := psbt.New([]*wire.OutPoint{{Hash: chainhash.Hash{1}}, {Hash: chainhash.Hash{2}}},
		[]*wire.TxOut{wire.NewTxOut(1000, []byte{0x51})}, 2, 0, []uint32{0, 0})
	if err != nil {
		t.Fatal(err)
	}
	var before bytes.Buffer
	if err := pkt.Serialize(&before); err != nil {
		t.Fatal(err)
	}
	priv, _ := btcec.NewPrivateKey()
	der := append(ecdsa.Sign(priv, make([]byte, 32)).Serialize(), byte(txscript.SigHashAll))
	pub := priv.PubKey().SerializeCompressed()
	xonly := pub[1:]
	schnorrSig := bytes.Repeat([]byte{7}, 64)
	leaf := bytes.Repeat([]byte{9}, 32)

	out, err := InsertSignatures(pkt, []PartialSignature{
		{InputIndex: 0, PubKey: pub, Signature: der},
		{InputIndex: 1, PubKey: xonly, Signature: schnorrSig},
		{InputIndex: 1, PubKey: xonly, TapLeafHash: leaf, Signature: append(schnorrSig, 0x83)},
		{InputIndex: 0, PubKey: pub, Signature: der}, // again: replaces, no duplicate
	})
	if err != nil {
		t.Fatal(err)
	}
	var after bytes.Buffer
	if err := pkt.Serialize(&after); err != nil || !bytes.Equal(before.Bytes(), after.Bytes()) {
		t.Fatal("InsertSignatures modified its input packet")
	}
	if len(out.Inputs[0].PartialSigs) != 1 || !bytes.Equal(out.Inputs[0].PartialSigs[0].Signature, der) {
		t.Errorf("partial sigs %+v", out.Inputs[0].PartialSigs)
	}
	if !bytes.Equal(out.Inputs[1].TaprootKeySpendSig, schnorrSig) {
		t.Errorf("tap key sig %x", out.Inputs[1].TaprootKeySpendSig)
	}
	if ss := out.Inputs[1].TaprootScriptSpendSig; len(ss) != 1 || ss[0].SigHash != 0x83 ||
		!bytes.Equal(ss[0].LeafHash, leaf) || !bytes.Equal(ss[0].Signature, schnorrSig) {
		t.Errorf("tap script sigs %+v", ss)
	}
	// The result serializes and parses again.
	var buf bytes.Buffer
	if err := out.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := psbt.NewFromRawBytes(&buf, false); err != nil {
		t.Fatal(err)
	}

	for _, bad := range []PartialSignature{
		{InputIndex: 2, PubKey: pub, Signature: der},
		{InputIndex: 0, PubKey: pub[:20], Signature: der},
		{InputIndex: 1, PubKey: xonly, Signature: schnorrSig[:60]},
	} {
		if _, err := InsertSignatures(pkt, []PartialSignature{bad}); !errors.Is(err, ErrPSBT) {
			t.Errorf("%+v: %v, want ErrPSBT", bad, err)
		}
	}
}
