package wallet

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"

	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

// bip48 is the BIP 48 path of a testnet P2WSH multisig account.
var bip48 = []uint32{48 + hdkeychain.HardenedKeyStart, 1 + hdkeychain.HardenedKeyStart, hdkeychain.HardenedKeyStart, 2 + hdkeychain.HardenedKeyStart}

// cosigners returns three masters (seeds of repeated bytes 1, 2, 3) and
// their BIP 48 keys written as in a descriptor.
func cosigners(t *testing.T) ([]*hdkeychain.ExtendedKey, []string) {
	t.Helper()
	var masters []*hdkeychain.ExtendedKey
	var keys []string
	for _, b := range []byte{1, 2, 3} {
		m, err := hdkeychain.NewMaster(bytes.Repeat([]byte{b}, 32), &chaincfg.RegressionNetParams)
		if err != nil {
			t.Fatal(err)
		}
		acct := m
		for _, s := range bip48 {
			if acct, err = acct.Derive(s); err != nil {
				t.Fatal(err)
			}
		}
		pub, _ := acct.Neuter()
		fp := fingerprint(t, m)
		masters = append(masters, m)
		keys = append(keys, fmt.Sprintf("[%x/48h/1h/0h/2h]%s/<0;1>/*", fp, pub))
	}
	return masters, keys
}

// multisigWallet returns a 2-of-3 regtest wallet of the wrapper form
// ("wsh(sortedmulti(%s))" and the like).
func multisigWallet(t *testing.T, form string) (*Wallet, []*hdkeychain.ExtendedKey) {
	t.Helper()
	masters, keys := cosigners(t)
	m, err := descriptor.ParseMultisig(fmt.Sprintf(form, "2,"+strings.Join(keys, ",")), descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	w := &Wallet{ID: "vault", Multisig: m}
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}
	return w, masters
}

// cosign plays one cosigner's device: it adds, to every input, the
// signature of the key of master's fingerprint among the derivations.
func cosign(t *testing.T, p *psbt.Packet, master *hdkeychain.ExtendedKey) {
	t.Helper()
	fp := (descriptor.KeyOrigin{Fingerprint: fingerprint(t, master)}).PSBTFingerprint()
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for i, in := range p.Inputs {
		op := p.UnsignedTx.TxIn[i].PreviousOutPoint
		fetcher.AddPrevOut(op, in.NonWitnessUtxo.TxOut[op.Index])
	}
	hashes := txscript.NewTxSigHashes(p.UnsignedTx, fetcher)
	for i := range p.Inputs {
		in := &p.Inputs[i]
		prev := in.NonWitnessUtxo.TxOut[p.UnsignedTx.TxIn[i].PreviousOutPoint.Index]
		for _, d := range in.Bip32Derivation {
			if d.MasterKeyFingerprint != fp {
				continue
			}
			k := master
			for _, s := range d.Bip32Path {
				var err error
				if k, err = k.Derive(s); err != nil {
					t.Fatal(err)
				}
			}
			priv, _ := k.ECPrivKey()
			if !bytes.Equal(priv.PubKey().SerializeCompressed(), d.PubKey) {
				t.Fatalf("input %d: the derivation does not give its key", i)
			}
			var sig []byte
			var err error
			if len(in.WitnessScript) > 0 {
				sig, err = txscript.RawTxInWitnessSignature(p.UnsignedTx, hashes, i, prev.Value, in.WitnessScript, txscript.SigHashAll, priv)
			} else {
				sig, err = txscript.RawTxInSignature(p.UnsignedTx, i, in.RedeemScript, txscript.SigHashAll, priv)
			}
			if err != nil {
				t.Fatal(err)
			}
			in.PartialSigs = append(in.PartialSigs, &psbt.PartialSig{PubKey: d.PubKey, Signature: sig})
		}
	}
}

// TestMultisigWallet syncs, pays from and signs in turn a 2-of-3 wallet
// of each wrapper: the scripts synced are the multisig ones (checked
// against the descriptor's own derivation), the PSBT carries what every
// cosigner's device needs, one signature leaves it pending, two finalize
// it, the script engine accepts the result, and the fee estimate bounds
// the signed size from above by at most a byte per signature.
func TestMultisigWallet(t *testing.T) {
	for _, form := range []string{"wsh(sortedmulti(%s))", "wsh(multi(%s))", "sh(wsh(sortedmulti(%s)))", "sh(multi(%s))"} {
		w, masters := multisigWallet(t, form)
		t.Run(strings.ReplaceAll(form, "(%s)", ""), func(t *testing.T) {
			m := w.Multisig
			if !w.HasChange() || w.Net() != descriptor.Regtest {
				t.Fatal("a multisig wallet has both chains on its network")
			}
			c := newMemChain(300)
			r0, _ := m.Derive(false, 0)
			r5, _ := m.Derive(false, 5)
			ch0, _ := m.Derive(true, 0)
			c.add(fund("ms"+form, [][]byte{r0.PkScript, r5.PkScript, ch0.PkScript}, []int64{40_000_000, 30_000_000, 5_000_000}), 250)
			st := syncOK(t, w, c, nil)
			if got := st.Balance(); got.Confirmed != 75_000_000 || got.Unconfirmed != 0 {
				t.Fatalf("balance %+v, want 75000000 confirmed", got)
			}
			// Gap limit: 20 unused after the last used index on each chain.
			addrs, err := st.Addresses(false, 0, 26)
			if err != nil {
				t.Fatal(err)
			}
			for i, a := range addrs {
				want, _ := m.Derive(false, uint32(i))
				if a.Address != want.Address || !bytes.Equal(a.Script, want.PkScript) {
					t.Fatalf("receive %d: %s, descriptor gives %s", i, a.Address, want.Address)
				}
			}
			// Scanned in batches of the gap limit until 20 unused follow
			// the last used index, 5: indexes 0 to 39.
			if n := len(st.chains[0]); n != 40 {
				t.Errorf("receive chain scanned to %d scripts, want 40 (used 0 and 5, gap 20, batches of 20)", n)
			}
			next, err := st.NextReceive()
			if err != nil || next.Index != 1 {
				t.Fatalf("next receive %+v, %v: want index 1", next, err)
			}

			to := foreignAddress(t, "payee")
			d, err := BuildPSBT(st, Request{Recipients: []Recipient{{Address: to, Sats: 50_000_000}}, FeeRate: 3})
			if err != nil {
				t.Fatal(err)
			}
			if d.ChangeOutput < 0 || d.Change.Index != 1 || !d.Change.Change {
				t.Fatalf("change output %d at %+v, want change index 1", d.ChangeOutput, d.Change)
			}
			p := d.Packet
			for i, in := range p.Inputs {
				u := d.Inputs[i]
				der, _ := m.Derive(u.Change, u.Index)
				if in.NonWitnessUtxo == nil {
					t.Errorf("input %d: no NON_WITNESS_UTXO", i)
				}
				if (in.WitnessUtxo != nil) != (m.Wrap() != descriptor.WrapSH) {
					t.Errorf("input %d: WITNESS_UTXO %v for %s", i, in.WitnessUtxo != nil, m.Wrap())
				}
				if !bytes.Equal(in.WitnessScript, der.WitnessScript) || !bytes.Equal(in.RedeemScript, der.RedeemScript) {
					t.Errorf("input %d: scripts differ from the derivation", i)
				}
				checkDerivations(t, fmt.Sprintf("input %d", i), in.Bip32Derivation, der, masters)
			}
			out := p.Outputs[d.ChangeOutput]
			checkDerivations(t, "change", out.Bip32Derivation, mustDerive(t, m, true, 1), masters)

			cosign(t, p, masters[0])
			err = Finalize(clonePSBT(t, p))
			var se *SignaturesError
			if !errors.As(err, &se) || se.Have != 1 || se.Need != 2 || !errors.Is(err, ErrNotSigned) {
				t.Fatalf("one signature of two: %v", err)
			}
			if have, need, ok := MultisigSignatures(&p.Inputs[0]); !ok || have != 1 || need != 2 {
				t.Errorf("MultisigSignatures: %d of %d (%v)", have, need, ok)
			}
			cosign(t, p, masters[2])
			cosign(t, p, masters[1]) // a third signature is left out
			if err := Finalize(p); err != nil {
				t.Fatal(err)
			}
			tx, err := Extract(p)
			if err != nil {
				t.Fatal(err)
			}
			actual := vsizeOf(tx)
			// Each signature may be a byte shorter than the 72 counted
			// (a vbyte in a scriptSig, a quarter in a witness).
			if actual > d.VSize || d.VSize-actual > int64(len(tx.TxIn)*m.Threshold()+1) {
				t.Errorf("signed %d vB, estimated %d", actual, d.VSize)
			}
			for _, o := range tx.TxOut {
				if o.Value != 50_000_000 && !bytes.Equal(o.PkScript, mustDerive(t, m, true, 1).PkScript) {
					t.Errorf("output %x is neither the payee nor the change", o.PkScript)
				}
			}

			// The spend syncs back: the balance is what is left.
			c.add(tx, 0)
			st = syncOK(t, w, c, st)
			var change int64
			for _, o := range tx.TxOut {
				if o.Value != 50_000_000 {
					change = o.Value
				}
			}
			var spent int64
			for _, u := range d.Inputs {
				spent += u.Value
			}
			if got := st.Balance(); got.Total() != 75_000_000-spent+change || got.Unconfirmed != change {
				t.Errorf("after paying: %+v, want %d unconfirmed change", got, change)
			}
		})
	}
}

func mustDerive(t *testing.T, m *descriptor.Multisig, change bool, i uint32) descriptor.MultisigDerived {
	t.Helper()
	d, err := m.Derive(change, i)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// checkDerivations checks that a PSBT map names every cosigner's key of
// the output, with its master's fingerprint and full path.
func checkDerivations(t *testing.T, what string, got []*psbt.Bip32Derivation, der descriptor.MultisigDerived, masters []*hdkeychain.ExtendedKey) {
	t.Helper()
	if len(got) != len(masters) {
		t.Fatalf("%s: %d derivations, want %d", what, len(got), len(masters))
	}
	for i, m := range masters {
		g := got[i]
		k := m
		for _, s := range g.Bip32Path {
			k, _ = k.Derive(s)
		}
		pub, _ := k.ECPubKey()
		fp := (descriptor.KeyOrigin{Fingerprint: fingerprint(t, m)}).PSBTFingerprint()
		if g.MasterKeyFingerprint != fp || !bytes.Equal(pub.SerializeCompressed(), g.PubKey) || !bytes.Equal(g.PubKey, der.Keys[i].PubKey) {
			t.Errorf("%s: derivation %d is not cosigner %d's key", what, i, i)
		}
		if len(g.Bip32Path) != 6 || g.Bip32Path[4] != boolStep(der.Change) || g.Bip32Path[5] != der.Index {
			t.Errorf("%s: path %v, want BIP 48 then %d/%d", what, g.Bip32Path, boolStep(der.Change), der.Index)
		}
	}
}

func boolStep(change bool) uint32 {
	if change {
		return 1
	}
	return 0
}

func clonePSBT(t *testing.T, p *psbt.Packet) *psbt.Packet {
	t.Helper()
	c, err := clonePacket(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
