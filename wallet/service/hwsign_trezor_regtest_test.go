package service_test

// Transactions signed by the simulated Trezor, through our client over the
// emulator's loopback UDP port, accepted by a real btcd node in regtest.

import (
	"context"
	"testing"
	"time"

	"codeberg.org/hardfolio/hardfolio/hw/device"
	simtrezor "codeberg.org/hardfolio/hardfolio/hw/sim/trezor"
	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/internal/regtest"
	"codeberg.org/hardfolio/hardfolio/wallet/service"
)

// TestTrezorSignedRegtest funds four single-sig accounts of a simulated
// Trezor (pkh, sh(wpkh), wpkh, tr) on a btcd regtest node, pays from each
// with change back to the account, signed on the device through
// service.SignWith (the flow of "wallet send --sign-with"), broadcasts,
// mines, and checks every balance to the satoshi.
func TestTrezorSignedRegtest(t *testing.T) {
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

	sim, _, err := simtrezor.New(simtrezor.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	addr, err := sim.ListenUDP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dev, err := device.NewHub().Open(ctx, "trezor-udp:"+addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })

	backend := portfolio.Backend{Kind: "node", Server: node.URL(), RPCUser: node.User, RPCPassword: node.Pass}
	birthday := node.Height(t) + 1
	cfgs := deviceAccounts(t, ctx, dev, "trezor-", portfolio.WalletConfig{Network: "regtest", BirthdayHeight: birthday, Backend: backend})
	receiver := newTestAccount(t, "wpkh", 84)
	recvCfg := portfolio.WalletConfig{ID: "receiver", Descriptor: receiver.desc, Network: "regtest", BirthdayHeight: birthday, Backend: backend}

	outs, funded := fundAccounts(t, cfgs)
	node.SendRaw(t, miner.Spend(t, []regtest.Coin{act.Spare}, outs))
	node.Mine(t, 1)

	sync := syncer(t, ctx)

	fees := map[string]int64{}
	var paid int64
	for i, cfg := range cfgs {
		st := sync(cfg)
		if got := st.Balance().Confirmed; got != funded[cfg.ID] {
			t.Fatalf("%s: balance %d, funded %d", cfg.ID, got, funded[cfg.ID])
		}
		to, _ := receiver.address(t, uint32(i))
		amount := int64(13_000_000 + 100_000*i) // more than one coin: two inputs and change
		draft, err := wallet.BuildPSBT(st, wallet.Request{Recipients: []wallet.Recipient{{Address: to, Sats: amount}}, FeeRate: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(draft.Packet.Inputs) != 2 || len(draft.Packet.Outputs) != 2 {
			t.Fatalf("%s: %d inputs, %d outputs", cfg.ID, len(draft.Packet.Inputs), len(draft.Packet.Outputs))
		}
		signed, err := service.SignWith(ctx, dev, draft.Packet)
		if err != nil {
			t.Fatalf("%s: %v", cfg.ID, err)
		}
		if !signed.Complete || signed.Fee != draft.Fee || signed.Added != 2 {
			t.Fatalf("%s: complete %v, added %d, fee %d (draft %d): %v", cfg.ID, signed.Complete, signed.Added, signed.Fee, draft.Fee, signed.Pending)
		}
		id, err := service.Broadcast(ctx, cfg, signed.Tx)
		if err != nil {
			t.Fatalf("%s: the node refused the Trezor's transaction: %v", cfg.ID, err)
		}
		if id != signed.Tx.TxHash() {
			t.Fatalf("%s: broadcast %v, want %v", cfg.ID, id, signed.Tx.TxHash())
		}
		fees[cfg.ID], paid = draft.Fee, paid+amount
	}
	node.Mine(t, 1)

	for i, cfg := range cfgs {
		st := sync(cfg)
		want := funded[cfg.ID] - int64(13_000_000+100_000*i) - fees[cfg.ID]
		if got := st.Balance(); got.Confirmed != want || got.Unconfirmed != 0 {
			t.Errorf("%s: balance %+v after paying, want %d confirmed (change back)", cfg.ID, got, want)
		}
	}
	if got := sync(recvCfg).Balance(); got.Confirmed != paid || got.Unconfirmed != 0 {
		t.Errorf("receiver: %+v, want %d confirmed", got, paid)
	}
}
