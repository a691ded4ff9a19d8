package service_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/hw/device"
	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/internal/regtest"
	"codeberg.org/hardfolio/hardfolio/wallet/service"
)

// TestMultisigWalletRegtest is a 2-of-3 wsh(sortedmulti) watch-only
// wallet of three simulated Ledgers, end to end on a real btcd regtest
// node: funded on two receive addresses, synced through the node backend
// (balance, next receive address), paid from with a PSBT the wallet
// builds, signed in turn by two of the devices through service.SignWith
// (each with its registration of the wallet), accepted by the node, and
// synced again to the satoshi; the third device is never needed.
func TestMultisigWalletRegtest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a btcd node")
	}
	setCacheHome(t)
	miner := regtest.NewWallet(t)
	regtest.Binary(t)
	node := regtest.Start(t, miner.MinerAddress())
	act := regtest.Populate(t, node, miner)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Three cosigners' devices (the BIP 39 vectors' mnemonics).
	var devs []device.Device
	var keys []string
	bip48 := []uint32{48 | device.Hardened, 1 | device.Hardened, device.Hardened, 2 | device.Hardened}
	for _, mn := range []string{"",
		"abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
		"legal winner thank year wave sausage worth useful legal winner thank yellow"} {
		d := openSim(t, ctx, mn)
		devs = append(devs, d)
		keys = append(keys, origin(t, ctx, d, bip48)+"/<0;1>/*")
	}
	backend := portfolio.Backend{Kind: "node", Server: node.URL(), RPCUser: node.User, RPCPassword: node.Pass}
	cfg := portfolio.WalletConfig{ID: "vault", Name: "Regtest vault", Network: "regtest", BirthdayHeight: node.Height(t) + 1, Backend: backend,
		Descriptor: "wsh(sortedmulti(2," + strings.Join(keys, ",") + "))"}
	w, err := service.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ms := w.Multisig
	receiver := newTestAccount(t, "wpkh", 84)
	recvCfg := portfolio.WalletConfig{ID: "receiver", Descriptor: receiver.desc, Network: "regtest", BirthdayHeight: cfg.BirthdayHeight, Backend: backend}

	// Fund receive 0 and 4 (inside the gap limit) from the miner.
	r0, _ := ms.Derive(false, 0)
	r4, _ := ms.Derive(false, 4)
	const fund0, fund4 = 30_000_000, 12_345_678
	fundTx := miner.Spend(t, []regtest.Coin{act.Spare}, []*wire.TxOut{wire.NewTxOut(fund0, r0.PkScript), wire.NewTxOut(fund4, r4.PkScript)})
	node.SendRaw(t, fundTx)
	node.Mine(t, 1)

	sync := func(c portfolio.WalletConfig) *wallet.State {
		t.Helper()
		st, warning, err := service.Sync(ctx, c, nil)
		if err != nil || warning != nil {
			t.Fatalf("sync %s: %v %v", c.ID, err, warning)
		}
		return st
	}
	st := sync(cfg)
	if got := st.Balance(); got.Confirmed != fund0+fund4 || got.Unconfirmed != 0 {
		t.Fatalf("balance %+v, want %d confirmed", got, fund0+fund4)
	}
	if next, err := st.NextReceive(); err != nil || next.Index != 1 {
		t.Fatalf("next receive %+v, %v", next, err)
	}

	// Pay more than either coin holds, so that both are spent.
	to, _ := receiver.address(t, 3)
	const amount = 35_000_000
	draft, err := wallet.BuildPSBT(st, wallet.Request{Recipients: []wallet.Recipient{{Address: to, Sats: amount}}, FeeRate: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(draft.Inputs) != 2 || draft.ChangeOutput < 0 {
		t.Fatalf("draft: %d inputs, change output %d", len(draft.Inputs), draft.ChangeOutput)
	}

	// Cosigners 1 and 3 register the wallet and sign in turn.
	signer := func(i int) multiSigner {
		t.Helper()
		reg, err := devs[i].(device.MultisigDevice).RegisterMultisig(ctx, msDevice(ms))
		if err != nil {
			t.Fatal(err)
		}
		return multiSigner{devs[i], msDevice(ms), reg}
	}
	first, err := service.SignWith(ctx, signer(0), draft.Packet)
	var se *wallet.SignaturesError
	if err != nil || first.Complete || first.Added != 2 || !errors.As(first.Pending, &se) || se.Have != 1 || se.Need != 2 {
		t.Fatalf("first cosigner: %+v, %v", first, err)
	}
	second, err := service.SignWith(ctx, signer(2), first.Packet)
	if err != nil || !second.Complete || second.Added != 2 || second.Fee != draft.Fee {
		t.Fatalf("second cosigner: %+v, %v", second, err)
	}
	if vs := vsize(second.Tx); vs > draft.VSize || draft.VSize-vs > 3 {
		t.Errorf("signed %d vB, estimated %d", vs, draft.VSize)
	}
	id, err := service.Broadcast(ctx, cfg, second.Tx)
	if err != nil {
		t.Fatalf("the node refused the multisig transaction: %v", err)
	}
	if id != second.Tx.TxHash() {
		t.Fatalf("broadcast %v, want %v", id, second.Tx.TxHash())
	}
	node.Mine(t, 1)

	st = sync(cfg)
	change := second.Tx.TxOut[draft.ChangeOutput].Value
	if got := st.Balance(); got.Confirmed != fund0+fund4-amount-draft.Fee || got.Confirmed != change || got.Unconfirmed != 0 {
		t.Errorf("balance after paying %+v, want %d (change %d)", got, fund0+fund4-amount-draft.Fee, change)
	}
	if u := st.UTXOs(); len(u) != 1 || !u[0].Change || u[0].Index != 0 {
		t.Errorf("UTXOs after paying: %+v, want the change at change/0", u)
	}
	if got := sync(recvCfg).Balance(); got.Confirmed != amount {
		t.Errorf("receiver %+v, want %d", got, amount)
	}
	if h := st.History(); len(h) != 2 || h[0].Net != -(amount+draft.Fee) || !h[0].FeeKnown || h[0].Fee != draft.Fee {
		t.Errorf("history %+v", h)
	}
}

func vsize(tx *wire.MsgTx) int64 {
	return (int64(tx.SerializeSizeStripped())*3 + int64(tx.SerializeSize()) + 3) / 4
}
