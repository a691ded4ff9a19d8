package ledger_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/apdu"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/btcapp"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/policy"
	simledger "codeberg.org/hardfolio/hardfolio/hw/sim/ledger"
	"codeberg.org/hardfolio/hardfolio/hw/transport"
)

// officialExchanges is what LedgerHQ's client (ledger-bitcoin 0.3.0) needs
// to sign wpkh10.psbt against this simulator, as interop.js measures it.
const officialExchanges = 451

var updateInterop = flag.Bool("update-interop", false, "write testdata/ledger-interop/wpkh10.psbt")

// counter counts the APDU exchanges of a client.
type counter struct {
	ex apdu.Exchanger
	n  int
}

func (c *counter) Exchange(ctx context.Context, cmd []byte) ([]byte, error) {
	c.n++
	return c.ex.Exchange(ctx, cmd)
}

// rig is a simulator served on 127.0.0.1 and our client talking to it
// through the Speculos TCP transport.
type rig struct {
	dev *simledger.Device
	c   *btcapp.Client
	cnt *counter
	ctx context.Context
	fpr uint32
}

func newRig(t testing.TB, mnemonic string) *rig {
	t.Helper()
	dev, _, err := simledger.New(simledger.Options{Mnemonic: mnemonic, Network: &chaincfg.TestNet3Params})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go dev.Serve(ln)
	t.Cleanup(func() { dev.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	sp, err := transport.DialSpeculos(ctx, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	cnt := &counter{ex: sp}
	r := &rig{dev: dev, c: btcapp.New(cnt), cnt: cnt, ctx: ctx}
	if r.fpr, err = r.c.MasterFingerprint(ctx); err != nil {
		t.Fatal(err)
	}
	return r
}

// account is a default policy of the rig's device with its account key.
type account struct {
	kind policy.Kind
	pol  policy.Policy
	path []uint32
	key  *hdkeychain.ExtendedKey
}

func (r *rig) account(t testing.TB, kind policy.Kind) account {
	t.Helper()
	path := kind.AccountPath(1, 0)
	xpub, err := r.c.ExtendedPubkey(r.ctx, path, false)
	if err != nil {
		t.Fatal(err)
	}
	key, err := hdkeychain.NewKeyFromString(xpub)
	if err != nil {
		t.Fatal(err)
	}
	return account{kind: kind, pol: policy.Default(kind, r.fpr, 1, 0, xpub), path: path, key: key}
}

// pub returns the public key at change/index under the account.
func (a account) pub(t testing.TB, change, index uint32) *btcec.PublicKey {
	t.Helper()
	k, err := a.key.Derive(change)
	if err == nil {
		k, err = k.Derive(index)
	}
	if err != nil {
		t.Fatal(err)
	}
	pub, err := k.ECPubKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// script returns the scriptPubKey at change/index, and the redeem script
// for sh(wpkh).
func (a account) script(t testing.TB, change, index uint32) (pkScript, redeem []byte) {
	t.Helper()
	pub := a.pub(t, change, index)
	h := btcutil.Hash160(pub.SerializeCompressed())
	var addr btcutil.Address
	var err error
	net := &chaincfg.TestNet3Params
	switch a.kind {
	case policy.Legacy:
		addr, err = btcutil.NewAddressPubKeyHash(h, net)
	case policy.NestedSegwit:
		redeem = append([]byte{txscript.OP_0, txscript.OP_DATA_20}, h...)
		addr, err = btcutil.NewAddressScriptHash(redeem, net)
	case policy.NativeSegwit:
		addr, err = btcutil.NewAddressWitnessPubKeyHash(h, net)
	case policy.Taproot:
		addr, err = btcutil.NewAddressTaproot(schnorr.SerializePubKey(txscript.ComputeTaprootKeyNoScript(pub)), net)
	}
	if err != nil {
		t.Fatal(err)
	}
	pkScript, err = txscript.PayToAddrScript(addr)
	if err != nil {
		t.Fatal(err)
	}
	return pkScript, redeem
}

// psbtOptions shape the test PSBT.
type psbtOptions struct {
	inputs        int
	noWitnessUTXO bool // leave out WITNESS_UTXO on segwit inputs
	noNonWitness  bool // leave out NON_WITNESS_UTXO on segwit inputs
}

// buildPSBT makes a previous transaction paying the account's receive
// addresses 0..n-1 (the last input spends a change address), and a PSBT
// spending all of them to an outside address and a change address.
func (r *rig) buildPSBT(t testing.TB, a account, o psbtOptions) (*psbt.Packet, *wire.MsgTx) {
	t.Helper()
	prev := wire.NewMsgTx(2)
	prev.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: chainhash.Hash{1, 2, 3}, Index: 7}})
	type coin struct{ change, index uint32 }
	coins := make([]coin, o.inputs)
	var total int64
	for i := range coins {
		coins[i] = coin{0, uint32(i)}
		if i == o.inputs-1 && i > 0 {
			coins[i] = coin{1, 4}
		}
		s, _ := a.script(t, coins[i].change, coins[i].index)
		v := int64(100_000 + 1000*i)
		total += v
		prev.AddTxOut(wire.NewTxOut(v, s))
	}
	outpoints := make([]*wire.OutPoint, o.inputs)
	for i := range outpoints {
		outpoints[i] = &wire.OutPoint{Hash: prev.TxHash(), Index: uint32(i)}
	}
	outside := append([]byte{txscript.OP_0, txscript.OP_DATA_20}, bytes.Repeat([]byte{0x42}, 20)...)
	changeScript, _ := a.script(t, 1, 9)
	outs := []*wire.TxOut{wire.NewTxOut(50_000, outside), wire.NewTxOut(total-50_000-2_000, changeScript)}
	seqs := make([]uint32, o.inputs)
	for i := range seqs {
		seqs[i] = wire.MaxTxInSequenceNum - 2
	}
	pkt, err := psbt.New(outpoints, outs, 2, 1000, seqs)
	if err != nil {
		t.Fatal(err)
	}
	var fp [4]byte
	binary.BigEndian.PutUint32(fp[:], r.fpr)
	psbtFpr := binary.LittleEndian.Uint32(fp[:]) // BIP 174 stores the fingerprint's bytes as they are
	for i, c := range coins {
		in := &pkt.Inputs[i]
		path := append(append([]uint32{}, a.path...), c.change, c.index)
		pub := a.pub(t, c.change, c.index)
		if a.kind == policy.Legacy || !o.noNonWitness {
			in.NonWitnessUtxo = prev
		}
		if a.kind != policy.Legacy && !o.noWitnessUTXO {
			in.WitnessUtxo = prev.TxOut[i]
		}
		if _, redeem := a.script(t, c.change, c.index); redeem != nil {
			in.RedeemScript = redeem
		}
		if a.kind == policy.Taproot {
			in.TaprootInternalKey = schnorr.SerializePubKey(pub)
			in.TaprootBip32Derivation = []*psbt.TaprootBip32Derivation{{
				XOnlyPubKey: schnorr.SerializePubKey(pub), MasterKeyFingerprint: psbtFpr, Bip32Path: path,
			}}
		} else {
			in.Bip32Derivation = []*psbt.Bip32Derivation{{
				PubKey: pub.SerializeCompressed(), MasterKeyFingerprint: psbtFpr, Bip32Path: path,
			}}
		}
	}
	return pkt, prev
}

// TestSignPSBTDefaultPolicies signs a PSBT for each default policy with our
// client, puts the signatures into the PSBT, finalizes it, and runs every
// input's scripts.
func TestSignPSBTDefaultPolicies(t *testing.T) {
	r := newRig(t, "")
	for _, kind := range []policy.Kind{policy.Legacy, policy.NestedSegwit, policy.NativeSegwit, policy.Taproot} {
		t.Run(kind.String(), func(t *testing.T) {
			a := r.account(t, kind)
			pkt, prev := r.buildPSBT(t, a, psbtOptions{inputs: 3})
			sigs, err := r.c.SignPacket(r.ctx, pkt, a.pol, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(sigs) != len(pkt.Inputs) {
				t.Fatalf("%d signatures for %d inputs", len(sigs), len(pkt.Inputs))
			}
			for _, s := range sigs {
				in := &pkt.Inputs[s.InputIndex]
				if kind == policy.Taproot {
					want := schnorr.SerializePubKey(txscript.ComputeTaprootKeyNoScript(mustXOnly(t, in.TaprootInternalKey)))
					if !bytes.Equal(s.PubKey, want) || len(s.Signature) != 64 {
						t.Fatalf("input %d: taproot yield pubkey %x (want the output key %x), signature of %d bytes",
							s.InputIndex, s.PubKey, want, len(s.Signature))
					}
					in.TaprootKeySpendSig = s.Signature
					continue
				}
				if !bytes.Equal(s.PubKey, in.Bip32Derivation[0].PubKey) {
					t.Fatalf("input %d: signed with %x, want %x", s.InputIndex, s.PubKey, in.Bip32Derivation[0].PubKey)
				}
				if s.Signature[len(s.Signature)-1] != byte(txscript.SigHashAll) {
					t.Fatalf("input %d: sighash byte %#x", s.InputIndex, s.Signature[len(s.Signature)-1])
				}
				in.PartialSigs = append(in.PartialSigs, &psbt.PartialSig{PubKey: s.PubKey, Signature: s.Signature})
			}
			if err := psbt.MaybeFinalizeAll(pkt); err != nil {
				t.Fatalf("finalize: %v", err)
			}
			tx, err := psbt.Extract(pkt)
			if err != nil {
				t.Fatal(err)
			}
			verifyTx(t, tx, prev)
		})
	}
}

func mustXOnly(t *testing.T, b []byte) *btcec.PublicKey {
	t.Helper()
	k, err := schnorr.ParsePubKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// verifyTx runs the script interpreter on every input of tx, which spends
// outputs of prev.
func verifyTx(t *testing.T, tx, prev *wire.MsgTx) {
	t.Helper()
	prevs := map[wire.OutPoint]*wire.TxOut{}
	for i, o := range prev.TxOut {
		prevs[wire.OutPoint{Hash: prev.TxHash(), Index: uint32(i)}] = o
	}
	fetcher := txscript.NewMultiPrevOutFetcher(prevs)
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i, in := range tx.TxIn {
		out := prevs[in.PreviousOutPoint]
		vm, err := txscript.NewEngine(out.PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, out.Value, fetcher)
		if err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
		if err := vm.Execute(); err != nil {
			t.Fatalf("input %d does not verify: %v", i, err)
		}
	}
}

func wantStatus(t *testing.T, what string, err error, sw uint16) {
	t.Helper()
	var se *apdu.StatusError
	if !errors.As(err, &se) || se.SW != sw {
		t.Fatalf("%s: error %v, want status %04X", what, err, sw)
	}
}

// TestSignPSBTRefusals covers the PSBTs the app refuses and the user's
// refusal.
func TestSignPSBTRefusals(t *testing.T) {
	r := newRig(t, "")
	wpkh := r.account(t, policy.NativeSegwit)

	pkt, _ := r.buildPSBT(t, wpkh, psbtOptions{inputs: 2, noWitnessUTXO: true})
	_, err := r.c.SignPacket(r.ctx, pkt, wpkh.pol, nil)
	wantStatus(t, "segwit input without WITNESS_UTXO", err, 0x6A80)

	pkt, _ = r.buildPSBT(t, wpkh, psbtOptions{inputs: 2})
	other := pkt.Inputs[1].NonWitnessUtxo.Copy()
	other.LockTime++ // another transaction: its txid is not PREVIOUS_TXID
	pkt.Inputs[1].NonWitnessUtxo = other
	_, err = r.c.SignPacket(r.ctx, pkt, wpkh.pol, nil)
	wantStatus(t, "NON_WITNESS_UTXO of another transaction", err, 0x6A80)

	pkt, _ = r.buildPSBT(t, wpkh, psbtOptions{inputs: 2})
	pkt.Inputs[0].WitnessUtxo = wire.NewTxOut(pkt.Inputs[0].WitnessUtxo.Value+1, pkt.Inputs[0].WitnessUtxo.PkScript)
	_, err = r.c.SignPacket(r.ctx, pkt, wpkh.pol, nil)
	wantStatus(t, "WITNESS_UTXO disagreeing with NON_WITNESS_UTXO", err, 0x6A80)

	pkh := r.account(t, policy.Legacy)
	pkt, prev := r.buildPSBT(t, pkh, psbtOptions{inputs: 1})
	pkt.Inputs[0].WitnessUtxo = prev.TxOut[0]
	_, err = r.c.SignPacket(r.ctx, pkt, pkh.pol, nil)
	wantStatus(t, "legacy input with WITNESS_UTXO", err, 0x6A80)

	// The user declines on the device: nothing is signed.
	pkt, _ = r.buildPSBT(t, wpkh, psbtOptions{inputs: 2})
	r.dev.SetFaults(simledger.Faults{RejectNext: true})
	sigs, err := r.c.SignPacket(r.ctx, pkt, wpkh.pol, nil)
	if !errors.Is(err, apdu.ErrUserRejected) || len(sigs) != 0 {
		t.Fatalf("declined on the device: %d signatures, error %v", len(sigs), err)
	}
	// The device works again afterwards, and segwit v0 without
	// NON_WITNESS_UTXO is signed (the app only warns).
	pkt, prev = r.buildPSBT(t, wpkh, psbtOptions{inputs: 2, noNonWitness: true})
	if sigs, err = r.c.SignPacket(r.ctx, pkt, wpkh.pol, nil); err != nil || len(sigs) != 2 {
		t.Fatalf("after the refusal: %d signatures, %v", len(sigs), err)
	}
	_ = prev
}

// TestSignPSBTExchangeCount logs how many APDU exchanges a 10-input wpkh
// PSBT takes with our client.
//
// The PSBT is testdata/ledger-interop/wpkh10.psbt, which the interop script
// signs with LedgerHQ's own client to compare the counts; the test fails
// when its PSBT is not that file (go test -run TestSignPSBTExchangeCount
// -update-interop writes it).
func TestSignPSBTExchangeCount(t *testing.T) {
	r := newRig(t, "")
	a := r.account(t, policy.NativeSegwit)
	pkt, prev := r.buildPSBT(t, a, psbtOptions{inputs: 10})
	text, err := pkt.B64Encode()
	if err != nil {
		t.Fatal(err)
	}
	b64 := bytes.NewBufferString(text)
	file := filepath.Join("..", "..", "..", "testdata", "ledger-interop", "wpkh10.psbt")
	if *updateInterop {
		if err := os.WriteFile(file, append(b64.Bytes(), '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := os.ReadFile(file); err != nil || string(bytes.TrimSpace(got)) != b64.String() {
		t.Fatalf("%s is not the PSBT this test signs (%v): run with -update-interop", file, err)
	}
	before := r.cnt.n
	sigs, err := r.c.SignPacket(r.ctx, pkt, a.pol, nil)
	if err != nil || len(sigs) != 10 {
		t.Fatalf("%d signatures, %v", len(sigs), err)
	}
	n := r.cnt.n - before
	t.Logf("SIGN_PSBT, 10 wpkh inputs (WITNESS_UTXO and NON_WITNESS_UTXO), 2 outputs: %d APDU exchanges", n)
	if n > officialExchanges {
		t.Errorf("%d exchanges: LedgerHQ's client needs %d for this PSBT (testdata/ledger-interop/interop.js)", n, officialExchanges)
	}
	for _, s := range sigs {
		pkt.Inputs[s.InputIndex].PartialSigs = append(pkt.Inputs[s.InputIndex].PartialSigs,
			&psbt.PartialSig{PubKey: s.PubKey, Signature: s.Signature})
	}
	if err := psbt.MaybeFinalizeAll(pkt); err != nil {
		t.Fatal(err)
	}
	tx, err := psbt.Extract(pkt)
	if err != nil {
		t.Fatal(err)
	}
	verifyTx(t, tx, prev)
}

// otherMnemonic is BIP39's all-zero-entropy test mnemonic: a second,
// public seed.
const otherMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

// TestRegisterMultisig registers a 2-of-2 between two simulated devices,
// checks the HMAC is bound to the seed, and asks for addresses.
func TestRegisterMultisig(t *testing.T) {
	r1 := newRig(t, "")
	r2 := newRig(t, otherMnemonic)
	path := []uint32{48 + hdkeychain.HardenedKeyStart, 1 + hdkeychain.HardenedKeyStart,
		hdkeychain.HardenedKeyStart, 2 + hdkeychain.HardenedKeyStart}
	x1, err := r1.c.ExtendedPubkey(r1.ctx, path, false)
	if err != nil {
		t.Fatal(err)
	}
	x2, err := r2.c.ExtendedPubkey(r2.ctx, path, false)
	if err != nil {
		t.Fatal(err)
	}
	p := policy.Policy{
		Name:     "Cold 2of2",
		Template: "wsh(sortedmulti(2,@0/**,@1/**))",
		Keys:     []string{policy.KeyString(r1.fpr, path, x1), policy.KeyString(r2.fpr, path, x2)},
	}
	id, mac1, err := r1.c.RegisterWallet(r1.ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := p.ID(); id != want {
		t.Fatalf("wallet id %x, want %x", id, want)
	}
	_, again, err := r1.c.RegisterWallet(r1.ctx, p)
	if err != nil || again != mac1 {
		t.Fatalf("second registration: HMAC %x, %v; want the same %x", again, err, mac1)
	}
	_, mac2, err := r2.c.RegisterWallet(r2.ctx, p)
	if err != nil || mac2 == mac1 {
		t.Fatalf("other seed: HMAC %x, %v; want one different from %x", mac2, err, mac1)
	}

	want := localMultisigAddress(t, []string{x1, x2}, 1, 3)
	for _, r := range []*rig{r1, r2} {
		mac := mac1
		if r == r2 {
			mac = mac2
		}
		got, err := r.c.WalletAddress(r.ctx, p, &mac, true, 3, false)
		if err != nil || got != want {
			t.Fatalf("address 1/3: %q, %v; want %s", got, err, want)
		}
	}
	_, err = r1.c.WalletAddress(r1.ctx, p, &mac2, false, 0, false)
	wantStatus(t, "another seed's HMAC", err, 0xB008)

	// A policy without a key of the device is refused; so is a refusal.
	p3 := p
	p3.Keys = []string{p.Keys[1], p.Keys[1]}
	_, _, err = r1.c.RegisterWallet(r1.ctx, p3)
	wantStatus(t, "no key of this device", err, 0x6A80)
	r1.dev.SetFaults(simledger.Faults{RejectNext: true})
	if _, _, err = r1.c.RegisterWallet(r1.ctx, p); !errors.Is(err, apdu.ErrUserRejected) {
		t.Fatalf("declined registration: %v", err)
	}
}

// localMultisigAddress derives the wsh(sortedmulti(2,...)) address at
// change/index from the cosigners' account xpubs.
func localMultisigAddress(t *testing.T, xpubs []string, change, index uint32) string {
	t.Helper()
	var pubs []*btcutil.AddressPubKey
	for _, x := range xpubs {
		k, err := hdkeychain.NewKeyFromString(x)
		if err == nil {
			k, err = k.Derive(change)
		}
		if err == nil {
			k, err = k.Derive(index)
		}
		if err != nil {
			t.Fatal(err)
		}
		pub, err := k.ECPubKey()
		if err != nil {
			t.Fatal(err)
		}
		ap, err := btcutil.NewAddressPubKey(pub.SerializeCompressed(), &chaincfg.TestNet3Params)
		if err != nil {
			t.Fatal(err)
		}
		pubs = append(pubs, ap)
	}
	if bytes.Compare(pubs[0].ScriptAddress(), pubs[1].ScriptAddress()) > 0 {
		pubs[0], pubs[1] = pubs[1], pubs[0]
	}
	script, err := txscript.MultiSigScript(pubs, 2)
	if err != nil {
		t.Fatal(err)
	}
	h := chainhash.HashB(script)
	addr, err := btcutil.NewAddressWitnessScriptHash(h, &chaincfg.TestNet3Params)
	if err != nil {
		t.Fatal(err)
	}
	return addr.EncodeAddress()
}

// BenchmarkSignPSBT10 measures SIGN_PSBT of wpkh10.psbt with our client
// against the simulator over loopback TCP: the client's work and the
// exchanges, the device's checks and signing (no user in the loop).
func BenchmarkSignPSBT10(b *testing.B) {
	r := newRig(b, "")
	a := r.account(b, policy.NativeSegwit)
	pkt, _ := r.buildPSBT(b, a, psbtOptions{inputs: 10})
	b.ResetTimer()
	for range b.N {
		if sigs, err := r.c.SignPacket(r.ctx, pkt, a.pol, nil); err != nil || len(sigs) != 10 {
			b.Fatalf("%d signatures, %v", len(sigs), err)
		}
	}
}
