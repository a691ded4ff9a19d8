package service_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/hw/device"
	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/internal/regtest"
	"codeberg.org/hardfolio/hardfolio/wallet/service"
)

// TestMultisigWalletRegtest runs 2-of-3 watch-only wallets of three
// simulated Ledgers end to end on a real btcd regtest node, one per
// wrapper (wsh(sortedmulti), sh(wsh(sortedmulti)), sh(multi)): funded on
// two receive addresses, synced through the node backend (balance, next
// receive address), paid from with a PSBT the wallet builds, signed in
// turn by two of the devices through service.SignWith (each with its
// registration of the wallet), accepted by the node, and synced again to
// the satoshi; the third device is never needed.
func TestMultisigWalletRegtest(t *testing.T) {
	miner, node, act, ctx := startRegtest(t)

	// Three cosigners' devices (the BIP 39 vectors' mnemonics), their
	// BIP 48 keys for P2WSH (script type 2') and P2SH-P2WSH (1').
	var devs []device.Device
	for _, mn := range []string{"",
		"abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
		"legal winner thank year wave sausage worth useful legal winner thank yellow"} {
		devs = append(devs, openSim(t, ctx, mn))
	}
	keys := func(scriptType uint32) string {
		var out []string
		for _, d := range devs {
			out = append(out, origin(t, ctx, d, []uint32{48 | device.Hardened, 1 | device.Hardened, device.Hardened, scriptType | device.Hardened})+"/<0;1>/*")
		}
		return strings.Join(out, ",")
	}
	backend := portfolio.Backend{Kind: "node", Server: node.URL(), RPCUser: node.User, RPCPassword: node.Pass}
	birthday := node.Height(t) + 1
	var cfgs []portfolio.WalletConfig
	var ws []*wallet.Wallet
	for i, desc := range []string{
		"wsh(sortedmulti(2," + keys(2) + "))",
		"sh(wsh(sortedmulti(2," + keys(1) + ")))",
		"sh(multi(2," + keys(1) + "))",
	} {
		cfg := portfolio.WalletConfig{ID: fmt.Sprintf("vault-%d", i), Network: "regtest", BirthdayHeight: birthday, Backend: backend, Descriptor: desc}
		w, err := service.Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		cfgs, ws = append(cfgs, cfg), append(ws, w)
	}
	receiver := newTestAccount(t, "wpkh", 84)
	recvCfg := portfolio.WalletConfig{ID: "receiver", Descriptor: receiver.desc, Network: "regtest", BirthdayHeight: birthday, Backend: backend}

	// Fund receive 0 and 4 (inside the gap limit) of each from the miner.
	const fund0, fund4 = 30_000_000, 12_345_678
	var outs []*wire.TxOut
	for _, w := range ws {
		r0, _ := w.Multisig.Derive(false, 0)
		r4, _ := w.Multisig.Derive(false, 4)
		outs = append(outs, wire.NewTxOut(fund0, r0.PkScript), wire.NewTxOut(fund4, r4.PkScript))
	}
	node.SendRaw(t, miner.Spend(t, []regtest.Coin{act.Spare}, outs))
	node.Mine(t, 1)

	sync := func(c portfolio.WalletConfig) *wallet.State {
		t.Helper()
		st, warning, err := service.Sync(ctx, c, nil)
		if err != nil || warning != nil {
			t.Fatalf("sync %s: %v %v", c.ID, err, warning)
		}
		return st
	}
	const amount = 35_000_000 // more than either coin: both are spent
	var paid int64
	for i, cfg := range cfgs {
		ms := ws[i].Multisig
		st := sync(cfg)
		if got := st.Balance(); got.Confirmed != fund0+fund4 || got.Unconfirmed != 0 {
			t.Fatalf("%s: balance %+v, want %d confirmed", ms.Wrap(), got, fund0+fund4)
		}
		if next, err := st.NextReceive(); err != nil || next.Index != 1 {
			t.Fatalf("%s: next receive %+v, %v", ms.Wrap(), next, err)
		}
		to, _ := receiver.address(t, uint32(i))
		draft, err := wallet.BuildPSBT(st, wallet.Request{Recipients: []wallet.Recipient{{Address: to, Sats: amount}}, FeeRate: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(draft.Inputs) != 2 || draft.ChangeOutput < 0 {
			t.Fatalf("%s: draft: %d inputs, change output %d", ms.Wrap(), len(draft.Inputs), draft.ChangeOutput)
		}

		// Cosigners 1 and 3 register the wallet and sign in turn.
		signer := func(k int) multiSigner {
			t.Helper()
			reg, err := devs[k].(device.MultisigDevice).RegisterMultisig(ctx, msDevice(ms))
			if err != nil {
				t.Fatal(err)
			}
			return multiSigner{devs[k], msDevice(ms), reg}
		}
		first, err := service.SignWith(ctx, signer(0), draft.Packet)
		var se *wallet.SignaturesError
		if err != nil || first.Complete || first.Added != 2 || !errors.As(first.Pending, &se) || se.Have != 1 || se.Need != 2 {
			t.Fatalf("%s: first cosigner: %+v, %v", ms.Wrap(), first, err)
		}
		second, err := service.SignWith(ctx, signer(2), first.Packet)
		if err != nil || !second.Complete || second.Added != 2 || second.Fee != draft.Fee {
			t.Fatalf("%s: second cosigner: %+v, %v", ms.Wrap(), second, err)
		}
		// The estimate bounds the signed size, by at most a byte per
		// signature (each may be 71 bytes instead of 72).
		if vs := vsize(second.Tx); vs > draft.VSize || draft.VSize-vs > 5 {
			t.Errorf("%s: signed %d vB, estimated %d", ms.Wrap(), vs, draft.VSize)
		}
		id, err := service.Broadcast(ctx, cfg, second.Tx)
		if err != nil {
			t.Fatalf("%s: the node refused the multisig transaction: %v", ms.Wrap(), err)
		}
		if id != second.Tx.TxHash() {
			t.Fatalf("%s: broadcast %v, want %v", ms.Wrap(), id, second.Tx.TxHash())
		}
		node.Mine(t, 1)
		paid += amount

		st = sync(cfg)
		change := second.Tx.TxOut[draft.ChangeOutput].Value
		if got := st.Balance(); got.Confirmed != fund0+fund4-amount-draft.Fee || got.Confirmed != change || got.Unconfirmed != 0 {
			t.Errorf("%s: balance after paying %+v, want %d (change %d)", ms.Wrap(), got, fund0+fund4-amount-draft.Fee, change)
		}
		if u := st.UTXOs(); len(u) != 1 || !u[0].Change || u[0].Index != 0 {
			t.Errorf("%s: UTXOs after paying: %+v, want the change at change/0", ms.Wrap(), u)
		}
		if h := st.History(); len(h) != 2 || h[0].Net != -(amount+draft.Fee) || !h[0].FeeKnown || h[0].Fee != draft.Fee {
			t.Errorf("%s: history %+v", ms.Wrap(), h)
		}
	}
	if got := sync(recvCfg).Balance(); got.Confirmed != paid {
		t.Errorf("receiver %+v, want %d", got, paid)
	}
}

func vsize(tx *wire.MsgTx) int64 {
	return (int64(tx.SerializeSizeStripped())*3 + int64(tx.SerializeSize()) + 3) / 4
}
