package device

import (
	"bytes"
	"context"
	"errors"
	"math/bits"
	"sort"
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
)

// bip84Mnemonic is BIP 39's all-zero-entropy mnemonic: a second public seed.
const bip84Mnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

// bip48 is the account path m/48'/1'/0'/2' of BIP 48 multisig accounts.
var bip48 = []uint32{48 | Hardened, 1 | Hardened, Hardened, 2 | Hardened}

// cosigner is one key of the test multisig: a device's, or (the third,
// offline one) a key made here.
type cosigner struct {
	dev  MultisigDevice
	key  MultisigKey
	acct *hdkeychain.ExtendedKey // the account key (public)
}

func openCosigner(t *testing.T, ctx context.Context, mnemonic string) cosigner {
	t.Helper()
	addr, _ := simtest.Ledger(t, simledger.Options{Mnemonic: mnemonic, Network: &chaincfg.TestNet3Params})
	d, err := NewHub().Open(ctx, "speculos:"+addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	fpr, err := d.Fingerprint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	xpub, err := d.Xpub(ctx, bip48, false)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := hdkeychain.NewKeyFromString(xpub)
	if err != nil {
		t.Fatal(err)
	}
	return cosigner{dev: d.(MultisigDevice), key: MultisigKey{Fingerprint: fpr, Path: bip48, Xpub: xpub, Change: 1}, acct: acct}
}

func offlineCosigner(t *testing.T) cosigner {
	t.Helper()
	m, err := hdkeychain.NewMaster(bytes.Repeat([]byte{7}, 32), &chaincfg.TestNet3Params)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := m.ECPubKey()
	k := m
	for _, s := range bip48 {
		k, _ = k.Derive(s)
	}
	n, _ := k.Neuter()
	fp := btcutil.Hash160(pub.SerializeCompressed())[:4]
	return cosigner{key: MultisigKey{Fingerprint: uint32(fp[0])<<24 | uint32(fp[1])<<16 | uint32(fp[2])<<8 | uint32(fp[3]),
		Path: bip48, Xpub: n.String(), Change: 1}, acct: n}
}

// child is the cosigner's public key at chain/index.
func (c cosigner) child(t *testing.T, chain, index uint32) []byte {
	t.Helper()
	k, err := c.acct.Derive(chain)
	if err == nil {
		k, err = k.Derive(index)
	}
	if err != nil {
		t.Fatal(err)
	}
	p, _ := k.ECPubKey()
	return p.SerializeCompressed()
}

// scripts derives the multisig script, output script and address at
// chain/index of ms from the cosigners' keys, independently of the device.
func scripts(t *testing.T, ms Multisig, cs []cosigner, chain, index uint32) (script, pk []byte, addr string) {
	t.Helper()
	var pubs []*btcutil.AddressPubKey
	for _, c := range cs {
		ap, _ := btcutil.NewAddressPubKey(c.child(t, chain, index), &chaincfg.TestNet3Params)
		pubs = append(pubs, ap)
	}
	if ms.Sorted {
		sort.Slice(pubs, func(i, j int) bool { return bytes.Compare(pubs[i].ScriptAddress(), pubs[j].ScriptAddress()) < 0 })
	}
	script, _ = txscript.MultiSigScript(pubs, ms.Threshold)
	var a btcutil.Address
	switch ms.Script {
	case MultisigWSH:
		a, _ = btcutil.NewAddressWitnessScriptHash(chainhash.HashB(script), &chaincfg.TestNet3Params)
	case MultisigSHWSH:
		a, _ = btcutil.NewAddressScriptHash(append([]byte{0, 32}, chainhash.HashB(script)...), &chaincfg.TestNet3Params)
	default:
		a, _ = btcutil.NewAddressScriptHash(script, &chaincfg.TestNet3Params)
	}
	pk, _ = txscript.PayToAddrScript(a)
	return script, pk, a.EncodeAddress()
}

// TestMultisigTwoOfThree: a 2-of-3 between two simulated Ledgers (other
// seeds) and an offline key, for each script form: both devices register
// it, show the address the keys derive, and each signs its part of a PSBT
// spending two coins; with both signatures the transaction finalizes and
// passes the script engine. Another device's registration is refused.
func TestMultisigTwoOfThree(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cs := []cosigner{openCosigner(t, ctx, ""), openCosigner(t, ctx, bip84Mnemonic), offlineCosigner(t)}
	for _, form := range []struct {
		script MultisigScript
		sorted bool
	}{{MultisigWSH, true}, {MultisigSHWSH, true}, {MultisigSH, true}, {MultisigWSH, false}} {
		t.Run(string(form.script), func(t *testing.T) {
			ms := Multisig{Name: "Family vault", Script: form.script, Sorted: form.sorted, Threshold: 2}
			for _, c := range cs {
				ms.Keys = append(ms.Keys, c.key)
			}
			regs := make([]Registration, 2)
			for i := range regs {
				reg, err := cs[i].dev.RegisterMultisig(ctx, ms)
				if err != nil {
					t.Fatal(err)
				}
				regs[i] = reg
				for _, at := range []struct{ chain, index uint32 }{{0, 0}, {1, 4}} {
					got, err := cs[i].dev.MultisigAddress(ctx, ms, reg, at.chain == 1, at.index, false)
					if _, _, want := scripts(t, ms, cs, at.chain, at.index); err != nil || got != want {
						t.Fatalf("device %d, %d/%d: %s, %v; the keys give %s", i, at.chain, at.index, got, err, want)
					}
				}
			}
			if bytes.Equal(regs[0], regs[1]) {
				t.Fatal("two seeds gave the same registration")
			}
			if _, err := cs[0].dev.MultisigAddress(ctx, ms, regs[1], false, 0, false); !errors.Is(err, apdu.ErrBadRegistration) {
				t.Fatalf("another device's registration: %v", err)
			}

			pkt, prevs := multisigPSBT(t, ms, cs)
			orig := serialize(t, pkt)
			wallets := func(i int) []RegisteredMultisig { return []RegisteredMultisig{{Multisig: ms, Registration: regs[i]}} }
			one, err := SignAll(ctx, cs[0].dev, pkt, wallets(0))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(serialize(t, pkt), orig) {
				t.Fatal("signing changed the PSBT given")
			}
			if ok, _ := psbt.MaybeFinalize(one, 0); ok {
				t.Fatal("one signature of two finalized")
			}
			two, err := SignAll(ctx, cs[1].dev, one, wallets(1))
			if err != nil {
				t.Fatal(err)
			}
			for i, in := range two.Inputs {
				if len(in.PartialSigs) != 2 {
					t.Fatalf("input %d: %d signatures", i, len(in.PartialSigs))
				}
			}
			if err := psbt.MaybeFinalizeAll(two); err != nil {
				t.Fatal(err)
			}
			tx, err := psbt.Extract(two)
			if err != nil {
				t.Fatal(err)
			}
			verify(t, tx, prevs)
		})
	}
}

func serialize(t *testing.T, p *psbt.Packet) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := p.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// multisigPSBT spends receive/0 and change/1 of ms to an outside address,
// with what a wallet puts in: the previous transaction, the witness UTXO
// (segwit), the witness and redeem scripts, and every key's derivation.
func multisigPSBT(t *testing.T, ms Multisig, cs []cosigner) (*psbt.Packet, []*wire.TxOut) {
	t.Helper()
	at := [][2]uint32{{0, 0}, {1, 1}}
	prev := wire.NewMsgTx(2)
	prev.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: chainhash.Hash{4}}})
	for i, a := range at {
		_, pk, _ := scripts(t, ms, cs, a[0], a[1])
		prev.AddTxOut(wire.NewTxOut(int64(200_000+i), pk))
	}
	outside := append([]byte{txscript.OP_0, txscript.OP_DATA_20}, bytes.Repeat([]byte{0x42}, 20)...)
	pkt, err := psbt.New([]*wire.OutPoint{{Hash: prev.TxHash(), Index: 0}, {Hash: prev.TxHash(), Index: 1}},
		[]*wire.TxOut{wire.NewTxOut(390_000, outside)}, 2, 0, []uint32{0xfffffffd, 0xfffffffd})
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range at {
		script, _, _ := scripts(t, ms, cs, a[0], a[1])
		in := &pkt.Inputs[i]
		in.NonWitnessUtxo = prev
		switch ms.Script {
		case MultisigWSH:
			in.WitnessUtxo, in.WitnessScript = prev.TxOut[i], script
		case MultisigSHWSH:
			in.WitnessUtxo, in.WitnessScript = prev.TxOut[i], script
			in.RedeemScript = append([]byte{0, 32}, chainhash.HashB(script)...)
		default:
			in.RedeemScript = script
		}
		for _, c := range cs {
			in.Bip32Derivation = append(in.Bip32Derivation, &psbt.Bip32Derivation{
				PubKey: c.child(t, a[0], a[1]), MasterKeyFingerprint: bits.ReverseBytes32(c.key.Fingerprint),
				Bip32Path: append(append([]uint32{}, c.key.Path...), a[0], a[1]),
			})
		}
	}
	return pkt, prev.TxOut
}

// verify runs the script engine on every input of tx.
func verify(t *testing.T, tx *wire.MsgTx, prevs []*wire.TxOut) {
	t.Helper()
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for i, in := range tx.TxIn {
		fetcher.AddPrevOut(in.PreviousOutPoint, prevs[i])
	}
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i := range tx.TxIn {
		vm, err := txscript.NewEngine(prevs[i].PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, prevs[i].Value, fetcher)
		if err == nil {
			err = vm.Execute()
		}
		if err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
	}
}
