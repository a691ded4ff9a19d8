package regtest

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

// TestSeed is the BIP 32 seed of the test wallet: public, for tests only.
var TestSeed = bytes.Repeat([]byte{0x5e}, 32)

// Wallet is a signing wallet for tests, built from TestSeed. It has one
// BIP 44/49/84/86 account per script type (m/purpose'/1'/0') whose
// watch-only descriptors the code under test watches, and a miner key
// (m/44'/1'/1'/0/0) that mined blocks pay.
type Wallet struct {
	net    *chaincfg.Params
	master *hdkeychain.ExtendedKey
	fp     [4]byte
	descs  map[descriptor.ScriptType]*descriptor.Descriptor
	keys   map[string]signKey // by output script
	miner  signKey
}

// signKey is what signing for one output script needs.
type signKey struct {
	typ    descriptor.ScriptType
	priv   *btcec.PrivateKey
	redeem []byte // P2SH-P2WPKH redeem script
}

// Coin is a spendable output.
type Coin struct {
	OutPoint wire.OutPoint
	Value    int64
	Script   []byte
}

// CoinOf returns output i of tx as a Coin.
func CoinOf(tx *wire.MsgTx, i uint32) Coin {
	return Coin{OutPoint: wire.OutPoint{Hash: tx.TxHash(), Index: i}, Value: tx.TxOut[i].Value, Script: tx.TxOut[i].PkScript}
}

var purposes = map[descriptor.ScriptType]uint32{
	descriptor.PKH: 44, descriptor.SHWPKH: 49, descriptor.WPKH: 84, descriptor.TR: 86,
}

// NewWallet builds the test wallet for regtest.
func NewWallet(t testing.TB) *Wallet {
	t.Helper()
	w := &Wallet{
		net:   &chaincfg.RegressionNetParams,
		descs: make(map[descriptor.ScriptType]*descriptor.Descriptor),
		keys:  make(map[string]signKey),
	}
	var err error
	must := func(e error) {
		if e != nil {
			t.Fatalf("regtest wallet: %v", e)
		}
	}
	w.master, err = hdkeychain.NewMaster(TestSeed, w.net)
	must(err)
	mpub, err := w.master.ECPubKey()
	must(err)
	copy(w.fp[:], btcutil.Hash160(mpub.SerializeCompressed())[:4])

	for typ, purpose := range purposes {
		acct, err := w.derive(purpose+hdkeychain.HardenedKeyStart, 1+hdkeychain.HardenedKeyStart, hdkeychain.HardenedKeyStart)
		must(err)
		pub, err := acct.Neuter()
		must(err)
		expr := fmt.Sprintf("[%x/%dh/1h/0h]%s/<0;1>/*", w.fp, purpose, pub.String())
		var text string
		switch typ {
		case descriptor.PKH:
			text = "pkh(" + expr + ")"
		case descriptor.SHWPKH:
			text = "sh(wpkh(" + expr + "))"
		case descriptor.WPKH:
			text = "wpkh(" + expr + ")"
		case descriptor.TR:
			text = "tr(" + expr + ")"
		}
		d, err := descriptor.Parse(text, descriptor.Regtest)
		must(err)
		w.descs[typ] = d
	}
	mk, err := w.derive(44+hdkeychain.HardenedKeyStart, 1+hdkeychain.HardenedKeyStart, 1+hdkeychain.HardenedKeyStart, 0, 0)
	must(err)
	w.miner.typ = descriptor.PKH
	w.miner.priv, err = mk.ECPrivKey()
	must(err)
	return w
}

func (w *Wallet) derive(path ...uint32) (*hdkeychain.ExtendedKey, error) {
	k := w.master
	for _, step := range path {
		var err error
		if k, err = k.Derive(step); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// Descriptor returns the watch-only descriptor of the account of a script
// type, with receive and change chains.
func (w *Wallet) Descriptor(typ descriptor.ScriptType) *descriptor.Descriptor { return w.descs[typ] }

// Descriptors returns the four account descriptors: wpkh, tr, pkh, sh(wpkh).
func (w *Wallet) Descriptors() []*descriptor.Descriptor {
	return []*descriptor.Descriptor{w.descs[descriptor.WPKH], w.descs[descriptor.TR], w.descs[descriptor.PKH], w.descs[descriptor.SHWPKH]}
}

// MinerAddress is the P2PKH address mined blocks pay; it is not part of
// any account.
func (w *Wallet) MinerAddress() btcutil.Address {
	a, err := btcutil.NewAddressPubKeyHash(btcutil.Hash160(w.miner.priv.PubKey().SerializeCompressed()), w.net)
	if err != nil {
		panic(err)
	}
	return a
}

// MinerScript is the output script of MinerAddress.
func (w *Wallet) MinerScript() []byte {
	s, _ := txscript.PayToAddrScript(w.MinerAddress())
	return s
}

// Script returns the output script at index of an account's receive or
// change chain, and remembers its key for signing.
func (w *Wallet) Script(t testing.TB, typ descriptor.ScriptType, change bool, index uint32) []byte {
	t.Helper()
	d, err := w.descs[typ].Derive(change, index)
	if err != nil {
		t.Fatalf("regtest wallet: %v", err)
	}
	chainIdx := uint32(0)
	if change {
		chainIdx = 1
	}
	h := uint32(hdkeychain.HardenedKeyStart)
	k, err := w.derive(purposes[typ]+h, 1+h, h, chainIdx, index)
	if err != nil {
		t.Fatalf("regtest wallet: %v", err)
	}
	priv, err := k.ECPrivKey()
	if err != nil {
		t.Fatalf("regtest wallet: %v", err)
	}
	if !bytes.Equal(priv.PubKey().SerializeCompressed(), d.PubKey) {
		t.Fatalf("regtest wallet: descriptor and signer disagree at %v/%d", typ, index)
	}
	w.keys[string(d.Script)] = signKey{typ: typ, priv: priv, redeem: d.RedeemScript}
	return d.Script
}

// Spend builds and signs a transaction spending coins (each paying the
// miner or a script obtained from Script) to outs, with version 2 and
// final sequence numbers, and checks every input with the script engine.
// The fee is whatever the coins leave over the outputs.
func (w *Wallet) Spend(t testing.TB, coins []Coin, outs []*wire.TxOut) *wire.MsgTx {
	t.Helper()
	tx := wire.NewMsgTx(2)
	prev := txscript.NewMultiPrevOutFetcher(nil)
	var in, out int64
	for _, c := range coins {
		tx.AddTxIn(&wire.TxIn{PreviousOutPoint: c.OutPoint, Sequence: wire.MaxTxInSequenceNum - 1})
		prev.AddPrevOut(c.OutPoint, wire.NewTxOut(c.Value, c.Script))
		in += c.Value
	}
	for _, o := range outs {
		tx.AddTxOut(o)
		out += o.Value
	}
	if out > in {
		t.Fatalf("regtest wallet: outputs %d exceed inputs %d", out, in)
	}
	hashes := txscript.NewTxSigHashes(tx, prev)
	for i, c := range coins {
		k, ok := w.keys[string(c.Script)]
		if !ok && bytes.Equal(c.Script, w.MinerScript()) {
			k, ok = w.miner, true
		}
		if !ok {
			t.Fatalf("regtest wallet: no key for script %x", c.Script)
		}
		var err error
		switch k.typ {
		case descriptor.PKH:
			tx.TxIn[i].SignatureScript, err = txscript.SignatureScript(tx, i, c.Script, txscript.SigHashAll, k.priv, true)
		case descriptor.WPKH:
			tx.TxIn[i].Witness, err = txscript.WitnessSignature(tx, hashes, i, c.Value, c.Script, txscript.SigHashAll, k.priv, true)
		case descriptor.SHWPKH:
			tx.TxIn[i].Witness, err = txscript.WitnessSignature(tx, hashes, i, c.Value, k.redeem, txscript.SigHashAll, k.priv, true)
			if err == nil {
				tx.TxIn[i].SignatureScript, err = txscript.NewScriptBuilder().AddData(k.redeem).Script()
			}
		case descriptor.TR:
			tx.TxIn[i].Witness, err = txscript.TaprootWitnessSignature(tx, hashes, i, c.Value, c.Script, txscript.SigHashDefault, k.priv)
		}
		if err != nil {
			t.Fatalf("regtest wallet: signing input %d: %v", i, err)
		}
	}
	for i, c := range coins {
		vm, err := txscript.NewEngine(c.Script, tx, i, txscript.StandardVerifyFlags, nil, hashes, c.Value, prev)
		if err == nil {
			err = vm.Execute()
		}
		if err != nil {
			t.Fatalf("regtest wallet: input %d does not verify: %v", i, err)
		}
	}
	return tx
}
