package service_test

// Transactions signed by the simulated Trezor, through our client over the
// emulator's loopback UDP port, accepted by a real btcd node in regtest.

import (
	"testing"

	"codeberg.org/hardfolio/hardfolio/hw/sim/simtest"
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
	miner, node, act, ctx := startRegtest(t)
	addr, _ := simtest.Trezor(t, simtrezor.Options{})
	dev := openDevice(t, ctx, "trezor-udp:"+addr)

	backend := portfolio.Backend{Kind: "node", Server: node.URL(), RPCUser: node.User, RPCPassword: node.Pass}
	birthday := node.Height(t) + 1
	cfgs := deviceAccounts(t, ctx, dev, "trezor-", portfolio.WalletConfig{Network: "regtest", BirthdayHeight: birthday, Backend: backend})
	receiver := newTestAccount(t, "wpkh", 84)
	recvCfg := portfolio.WalletConfig{ID: "receiver", Descriptor: receiver.desc, Network: "regtest", BirthdayHeight: birthday, Backend: backend}

	outs, funded := fundAccounts(t, cfgs)
	node.SendRaw(t, miner.Spend(t, []regtest.Coin{act.Spare}, outs))
	node.Mine(t, 1)

	sync := syncer(t, ctx)
	const base = 13_000_000 // more than one coin: two inputs and change
	fees, paid := payEach(t, ctx, sync, cfgs, funded, receiver, dev, base,
		func(cfg portfolio.WalletConfig, draft *wallet.Draft, signed *service.Signed) {
			if len(draft.Packet.Inputs) != 2 || len(draft.Packet.Outputs) != 2 {
				t.Fatalf("%s: %d inputs, %d outputs", cfg.ID, len(draft.Packet.Inputs), len(draft.Packet.Outputs))
			}
			if signed.Added != 2 {
				t.Fatalf("%s: the Trezor added %d signatures, want 2", cfg.ID, signed.Added)
			}
		})
	node.Mine(t, 1)
	checkPaid(t, sync, cfgs, funded, fees, base, recvCfg, paid)
}
