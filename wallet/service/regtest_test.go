package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/internal/regtest"
	"codeberg.org/hardfolio/hardfolio/wallet/service"
)

// testAccount is an account of the regtest test seed that the regtest
// package's own wallet does not use (account index 5), so its balance is
// only what this test puts there. It holds private keys: tests only.
type testAccount struct {
	master *hdkeychain.ExtendedKey
	desc   string
}

func newTestAccount(t *testing.T, typ string, purpose uint32) testAccount {
	t.Helper()
	params := &chaincfg.RegressionNetParams
	master, err := hdkeychain.NewMaster(regtest.TestSeed, params)
	if err != nil {
		t.Fatal(err)
	}
	h := uint32(hdkeychain.HardenedKeyStart)
	acct := master
	for _, step := range []uint32{purpose + h, 1 + h, 5 + h} {
		if acct, err = acct.Derive(step); err != nil {
			t.Fatal(err)
		}
	}
	pub, err := acct.Neuter()
	if err != nil {
		t.Fatal(err)
	}
	mpub, err := master.ECPubKey()
	if err != nil {
		t.Fatal(err)
	}
	fp := hash160(mpub.SerializeCompressed())[:4]
	return testAccount{master: master, desc: fmt.Sprintf("%s([%x/%dh/1h/5h]%s/<0;1>/*)", typ, fp, purpose, pub.String())}
}

// sign adds a signature to every P2WPKH input of p from the key its BIP 32
// derivation names, as a hardware wallet would.
func (a testAccount) sign(t *testing.T, p *psbt.Packet) {
	t.Helper()
	prev := txscript.NewMultiPrevOutFetcher(nil)
	utxo := func(i int) *wire.TxOut {
		in := p.Inputs[i]
		if in.WitnessUtxo != nil {
			return in.WitnessUtxo
		}
		op := p.UnsignedTx.TxIn[i].PreviousOutPoint
		return in.NonWitnessUtxo.TxOut[op.Index]
	}
	for i, in := range p.UnsignedTx.TxIn {
		prev.AddPrevOut(in.PreviousOutPoint, utxo(i))
	}
	hashes := txscript.NewTxSigHashes(p.UnsignedTx, prev)
	u, err := psbt.NewUpdater(p)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Inputs {
		if len(p.Inputs[i].Bip32Derivation) != 1 {
			t.Fatalf("input %d: %d BIP 32 derivations, want 1", i, len(p.Inputs[i].Bip32Derivation))
		}
		d := p.Inputs[i].Bip32Derivation[0]
		k := a.master
		for _, step := range d.Bip32Path {
			if k, err = k.Derive(step); err != nil {
				t.Fatal(err)
			}
		}
		priv, err := k.ECPrivKey()
		if err != nil {
			t.Fatal(err)
		}
		out := utxo(i)
		sig, err := txscript.RawTxInWitnessSignature(p.UnsignedTx, hashes, i, out.Value, out.PkScript, txscript.SigHashAll, priv)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := u.Sign(i, sig, priv.PubKey().SerializeCompressed(), nil, nil); err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
	}
}

// TestSendEndToEnd runs the whole watch-only flow against a real btcd on
// regtest, through the node backend: sync a funded wallet, build a PSBT
// paying a second wallet, sign it with the test seed's keys (the hardware
// wallet's part), finalize, extract, broadcast through the backend, mine,
// and sync both wallets again.
func TestSendEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a btcd node")
	}
	setCacheHome(t)
	signer := regtest.NewWallet(t)
	regtest.Binary(t)
	start := time.Now()
	node := regtest.Start(t, signer.MinerAddress())
	act := regtest.Populate(t, node, signer)
	t.Logf("node started and populated in %v (btcd binary: %v)", time.Since(start).Round(time.Millisecond), regtest.BuildTime().Round(time.Millisecond))

	sender := newTestAccount(t, "wpkh", 84)
	receiver := newTestAccount(t, "tr", 86)
	backend := portfolio.Backend{Kind: "node", Server: node.URL(), RPCUser: node.User, RPCPassword: node.Pass}
	birthday := node.Height(t) + 1
	sendCfg := portfolio.WalletConfig{ID: "sender", Descriptor: sender.desc, Network: "regtest", BirthdayHeight: birthday, Backend: backend}
	recvCfg := portfolio.WalletConfig{ID: "receiver", Descriptor: receiver.desc, Network: "regtest", BirthdayHeight: birthday, Backend: backend}
	sw, err := service.Open(sendCfg)
	if err != nil {
		t.Fatal(err)
	}

	// Fund the sender: two outputs, on receive 0 and 1, from the miner's
	// spare coinbase.
	var outs []*wire.TxOut
	var funded int64
	for i, v := range []int64{30_000_000, 12_345_678} {
		d, err := sw.Descriptor.Derive(false, uint32(i))
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, wire.NewTxOut(v, d.Script))
		funded += v
	}
	node.SendRaw(t, signer.Spend(t, []regtest.Coin{act.Spare}, outs))
	node.Mine(t, 1)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	flowStart := time.Now()
	sync := func(cfg portfolio.WalletConfig) *wallet.State {
		t.Helper()
		st, warning, err := service.Sync(ctx, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if warning != nil {
			t.Fatalf("unexpected cache warning: %v", warning)
		}
		return st
	}
	s0 := sync(sendCfg)
	r0 := sync(recvCfg)
	if got := s0.Balance(); got.Confirmed != funded || got.Unconfirmed != 0 {
		t.Fatalf("sender balance %+v after funding, want %d confirmed", got, funded)
	}
	if got := r0.Balance().Total(); got != 0 {
		t.Fatalf("receiver balance %d, want 0", got)
	}

	// Build, sign, finalize, extract, broadcast.
	to, err := r0.NextReceive()
	if err != nil {
		t.Fatal(err)
	}
	const amount = 17_000_000
	draft, err := wallet.BuildPSBT(s0, wallet.Request{Recipients: []wallet.Recipient{{Address: to.Address, Sats: amount}}, FeeRate: 2})
	if err != nil {
		t.Fatal(err)
	}
	if draft.Fee <= 0 || draft.ChangeOutput < 0 {
		t.Fatalf("draft fee %d, change output %d: want a fee and a change output", draft.Fee, draft.ChangeOutput)
	}
	sender.sign(t, draft.Packet)
	if err := wallet.Finalize(draft.Packet); err != nil {
		t.Fatal(err)
	}
	tx, err := wallet.Extract(draft.Packet)
	if err != nil {
		t.Fatal(err)
	}
	id, err := service.Broadcast(ctx, sendCfg, tx)
	if err != nil {
		t.Fatal(err)
	}
	if id != tx.TxHash() {
		t.Fatalf("broadcast returned %v, want %v", id, tx.TxHash())
	}
	node.Mine(t, 1)

	// Both wallets, synced again from their caches, moved by exactly the
	// amounts.
	s1 := sync(sendCfg)
	r1 := sync(recvCfg)
	if got, want := s1.Balance(), funded-amount-draft.Fee; got.Confirmed != want || got.Unconfirmed != 0 {
		t.Fatalf("sender balance %+v after sending, want %d confirmed (%d - %d - fee %d)", got, want, funded, amount, draft.Fee)
	}
	if got := r1.Balance(); got.Confirmed != amount || got.Unconfirmed != 0 {
		t.Fatalf("receiver balance %+v, want %d confirmed", got, amount)
	}
	h := s1.History()
	if len(h) != 2 || h[0].TxID != id || h[0].Net != -amount-draft.Fee || !h[0].FeeKnown || h[0].Fee != draft.Fee {
		t.Fatalf("sender history %+v: want the payment first, net %d, fee %d", h, -amount-draft.Fee, draft.Fee)
	}
	if next, _ := r1.NextReceive(); next.Index != 1 {
		t.Fatalf("receiver's next address is index %d, want 1", next.Index)
	}

	// The portfolio sees the cached balances without the network.
	p := portfolio.Empty("USD")
	p.Wallets = []portfolio.WalletConfig{sendCfg, recvCfg, {ID: "never-synced", Descriptor: sender.desc, Network: "regtest"}}
	bal := service.Balances(p)
	if len(bal) != 2 || bal["sender"] != funded-amount-draft.Fee || bal["receiver"] != amount {
		t.Fatalf("Balances = %v", bal)
	}
	elapsed := time.Since(start)
	t.Logf("sync, send, broadcast and re-sync took %v; whole test after the btcd build %v", time.Since(flowStart).Round(time.Millisecond), elapsed.Round(time.Millisecond))
	if elapsed > 60*time.Second {
		t.Errorf("end-to-end test took %v after the btcd build, want under 60 s", elapsed)
	}
}
