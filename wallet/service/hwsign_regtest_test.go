package service_test

// Transactions signed by the simulated Ledger, through our client over
// loopback TCP, accepted by a real btcd node in regtest.
//
// This test joins the wallet and the hardware layers the way the command
// line and the terminal interface do: the wallet builds, the device signs
// through service.Signer, the wallet finalizes and broadcasts. Only the
// test imports hw/ (the packages never import each other); it lives here
// because the btcd harness is internal to wallet/.

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"math/bits"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/hw/device"
	simledger "codeberg.org/hardfolio/hardfolio/hw/sim/ledger"
	"codeberg.org/hardfolio/hardfolio/hw/sim/simtest"
	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
	"codeberg.org/hardfolio/hardfolio/wallet/internal/regtest"
	"codeberg.org/hardfolio/hardfolio/wallet/service"
)

// startRegtest starts a btcd regtest node mined and populated by a
// miner's wallet, with the cache directory set aside, and returns them
// with a context for the test's calls (two minutes). It skips the test
// with -short.
func startRegtest(t *testing.T) (*regtest.Wallet, *regtest.Node, *regtest.Activity, context.Context) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a btcd node")
	}
	setCacheHome(t)
	miner := regtest.NewWallet(t)
	regtest.Binary(t)
	node := regtest.Start(t, miner.MinerAddress())
	act := regtest.Populate(t, node, miner)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return miner, node, act, ctx
}

// openSim serves a simulated Ledger ("Bitcoin Test" app, which regtest
// uses) with mnemonic on 127.0.0.1 and opens it through the device hub.
func openSim(t *testing.T, ctx context.Context, mnemonic string) device.Device {
	t.Helper()
	addr, _ := simtest.Ledger(t, simledger.Options{Mnemonic: mnemonic, Network: &chaincfg.RegressionNetParams})
	return openDevice(t, ctx, "speculos:"+addr)
}

// openDevice opens the device at uri through the device hub until the
// test ends.
func openDevice(t *testing.T, ctx context.Context, uri string) device.Device {
	t.Helper()
	d, err := device.NewHub().Open(ctx, uri)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// origin writes a device key's origin as a descriptor takes it.
func origin(t *testing.T, ctx context.Context, d device.Device, path []uint32) string {
	t.Helper()
	fpr, err := d.Fingerprint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	xpub, err := d.Xpub(ctx, path, false)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("[%08x%s]%s", fpr, strings.TrimPrefix(device.FormatPath(path), "m"), xpub)
}

// TestDeviceSignedRegtest funds four single-sig accounts of a simulated
// Ledger (pkh, sh(wpkh), wpkh, tr) and a 2-of-3 wsh(sortedmulti) of two
// simulated Ledgers and an offline key on a real btcd regtest node; pays
// from each, signed on the devices through service.SignWith (the flow of
// "wallet send --sign-with" and the send form); broadcasts through the
// node backend, mines, and checks every balance to the satoshi.
func TestDeviceSignedRegtest(t *testing.T) {
	miner, node, act, ctx := startRegtest(t)

	devA := openSim(t, ctx, "")
	devB := openSim(t, ctx, "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about")
	backend := portfolio.Backend{Kind: "node", Server: node.URL(), RPCUser: node.User, RPCPassword: node.Pass}
	birthday := node.Height(t) + 1
	h := device.Hardened

	// The device's accounts, as "hw xpub" and the Devices screen import them.
	cfgs := deviceAccounts(t, ctx, devA, "dev-", portfolio.WalletConfig{Network: "regtest", BirthdayHeight: birthday, Backend: backend})
	receiver := newTestAccount(t, "wpkh", 84)
	recvCfg := portfolio.WalletConfig{ID: "receiver", Descriptor: receiver.desc, Network: "regtest", BirthdayHeight: birthday, Backend: backend}

	// The 2-of-3: device A, device B, and a key kept offline.
	bip48 := []uint32{48 | h, 1 | h, h, 2 | h}
	offline, _ := hdkeychain.NewMaster(bytes.Repeat([]byte{7}, 32), &chaincfg.RegressionNetParams)
	opub, _ := offline.ECPubKey()
	oacct := offline
	for _, s := range bip48 {
		oacct, _ = oacct.Derive(s)
	}
	oxpub, _ := oacct.Neuter()
	msText := "wsh(sortedmulti(2," + origin(t, ctx, devA, bip48) + "/<0;1>/*," + origin(t, ctx, devB, bip48) + "/<0;1>/*,[" +
		hex.EncodeToString(btcutil.Hash160(opub.SerializeCompressed())[:4]) + "/48h/1h/0h/2h]" + oxpub.String() + "/<0;1>/*))"
	ms, err := descriptor.ParseMultisig(msText, descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	msAddr, err := ms.Derive(false, 0)
	if err != nil {
		t.Fatal(err)
	}

	// Fund: receive 0 and 1 of each account, and the multisig, in one
	// transaction from the miner's spare coinbase.
	outs, funded := fundAccounts(t, cfgs)
	const msFunds = 25_000_000
	outs = append(outs, wire.NewTxOut(msFunds, msAddr.PkScript))
	fundTx := miner.Spend(t, []regtest.Coin{act.Spare}, outs)
	node.SendRaw(t, fundTx)
	node.Mine(t, 1)

	sync := syncer(t, ctx)
	r0 := sync(recvCfg)
	if r0.Balance().Total() != 0 {
		t.Fatalf("receiver starts with %d", r0.Balance().Total())
	}

	// Pay from each single-sig account, signed on device A.
	const base = 3_000_000
	fees, paid := payEach(t, ctx, sync, cfgs, funded, receiver, devA, base, nil)

	// Pay from the multisig: A and B each register it, then sign in turn.
	regA, err := devA.(device.MultisigDevice).RegisterMultisig(ctx, msDevice(ms))
	if err != nil {
		t.Fatal(err)
	}
	regB, err := devB.(device.MultisigDevice).RegisterMultisig(ctx, msDevice(ms))
	if err != nil {
		t.Fatal(err)
	}
	to, _ := receiver.address(t, 9)
	const msPay, msFee = 20_000_000, 5_000
	changeAt, _ := ms.Derive(true, 0)
	pkt, err := psbt.New([]*wire.OutPoint{{Hash: fundTx.TxHash(), Index: uint32(len(outs) - 1)}},
		[]*wire.TxOut{wire.NewTxOut(msPay, mustScript(t, to)), wire.NewTxOut(msFunds-msPay-msFee, changeAt.PkScript)},
		2, 0, []uint32{wallet.SequenceRBF})
	if err != nil {
		t.Fatal(err)
	}
	in := &pkt.Inputs[0]
	in.NonWitnessUtxo, in.WitnessUtxo, in.WitnessScript = fundTx, fundTx.TxOut[len(outs)-1], msAddr.WitnessScript
	for _, k := range msAddr.Keys {
		in.Bip32Derivation = append(in.Bip32Derivation, &psbt.Bip32Derivation{PubKey: k.PubKey,
			MasterKeyFingerprint: k.Origin.PSBTFingerprint(), Bip32Path: k.Origin.Path})
	}
	out := &pkt.Outputs[1]
	out.WitnessScript = changeAt.WitnessScript
	for _, k := range changeAt.Keys {
		out.Bip32Derivation = append(out.Bip32Derivation, &psbt.Bip32Derivation{PubKey: k.PubKey,
			MasterKeyFingerprint: k.Origin.PSBTFingerprint(), Bip32Path: k.Origin.Path})
	}
	first, err := service.SignWith(ctx, multiSigner{devA, msDevice(ms), regA}, pkt)
	if err != nil || first.Complete || first.Added != 1 {
		t.Fatalf("first cosigner: %+v, %v", first, err)
	}
	second, err := service.SignWith(ctx, multiSigner{devB, msDevice(ms), regB}, first.Packet)
	if err != nil || !second.Complete || second.Fee != msFee {
		t.Fatalf("second cosigner: %+v, %v", second, err)
	}
	if _, err := service.Broadcast(ctx, recvCfg, second.Tx); err != nil {
		t.Fatalf("the node refused the multisig transaction: %v", err)
	}
	paid += msPay
	node.Mine(t, 1)

	// Every balance, to the satoshi.
	checkPaid(t, sync, cfgs, funded, fees, base, recvCfg, paid)
	var utxo *struct{ Value float64 }
	node.MustCall(t, &utxo, "gettxout", fundTx.TxHash().String(), len(outs)-1)
	if utxo != nil {
		t.Error("the multisig coin is still unspent")
	}
	var change struct{ Value float64 }
	node.MustCall(t, &change, "gettxout", second.Tx.TxHash().String(), 1)
	if sats, _ := btcutil.NewAmount(change.Value); int64(sats) != msFunds-msPay-msFee {
		t.Errorf("multisig change %v BTC, want %d sat", change.Value, msFunds-msPay-msFee)
	}
}

// deviceAccounts returns the wallet entries of a device's four
// single-sig accounts on coin type 1' (pkh, sh(wpkh), wpkh, tr), as "hw
// xpub" and the Devices screen import them: IDs prefix + purpose, the
// rest from base.
func deviceAccounts(t *testing.T, ctx context.Context, d device.Device, prefix string, base portfolio.WalletConfig) []portfolio.WalletConfig {
	t.Helper()
	h := device.Hardened
	kinds := []struct {
		typ     string
		purpose uint32
	}{{"pkh", 44}, {"sh(wpkh", 49}, {"wpkh", 84}, {"tr", 86}}
	var cfgs []portfolio.WalletConfig
	for _, k := range kinds {
		key := origin(t, ctx, d, []uint32{k.purpose | h, 1 | h, h})
		text := k.typ + "(" + key + "/<0;1>/*)"
		if k.typ == "sh(wpkh" {
			text += ")"
		}
		cfg := base
		cfg.ID, cfg.Descriptor = prefix+fmt.Sprint(k.purpose), text
		cfgs = append(cfgs, cfg)
	}
	return cfgs
}

// fundAccounts returns outputs paying receive addresses 0 and 1 of each
// account, and what each account gets.
func fundAccounts(t *testing.T, cfgs []portfolio.WalletConfig) ([]*wire.TxOut, map[string]int64) {
	t.Helper()
	var outs []*wire.TxOut
	funded := map[string]int64{}
	for i, cfg := range cfgs {
		w, err := service.Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for j := uint32(0); j < 2; j++ {
			d, err := w.Descriptor.Derive(false, j)
			if err != nil {
				t.Fatal(err)
			}
			v := int64(10_000_000 + 1_000_000*i + 12_345*int(j))
			outs = append(outs, wire.NewTxOut(v, d.Script))
			funded[cfg.ID] += v
		}
	}
	return outs, funded
}

// syncer syncs a wallet and fails the test on an error or a warning.
func syncer(t *testing.T, ctx context.Context) func(portfolio.WalletConfig) *wallet.State {
	return func(cfg portfolio.WalletConfig) *wallet.State {
		t.Helper()
		st, warning, err := service.Sync(ctx, cfg, nil)
		if err != nil || warning != nil {
			t.Fatalf("sync %s: %v %v", cfg.ID, err, warning)
		}
		return st
	}
}

// payAmount is what payEach pays from account i.
func payAmount(base int64, i int) int64 { return base + 100_000*int64(i) }

// payEach pays from each account in turn payAmount(base, i) sats to the
// receiver's address i, signed on signer through service.SignWith (the
// flow of "wallet send --sign-with"), and broadcasts. It first checks that
// the account holds what it was funded with, and that the signed
// transaction is complete with the draft's fee; check, if not nil, looks
// at each draft and signing result too. It returns each account's fee and
// the total paid.
func payEach(t *testing.T, ctx context.Context, sync func(portfolio.WalletConfig) *wallet.State, cfgs []portfolio.WalletConfig,
	funded map[string]int64, receiver testAccount, signer service.Signer, base int64,
	check func(cfg portfolio.WalletConfig, draft *wallet.Draft, signed *service.Signed)) (map[string]int64, int64) {
	t.Helper()
	fees := map[string]int64{}
	var paid int64
	for i, cfg := range cfgs {
		st := sync(cfg)
		if got := st.Balance().Confirmed; got != funded[cfg.ID] {
			t.Fatalf("%s: balance %d, funded %d", cfg.ID, got, funded[cfg.ID])
		}
		to, _ := receiver.address(t, uint32(i))
		amount := payAmount(base, i)
		draft, err := wallet.BuildPSBT(st, wallet.Request{Recipients: []wallet.Recipient{{Address: to, Sats: amount}}, FeeRate: 2})
		if err != nil {
			t.Fatal(err)
		}
		signed, err := service.SignWith(ctx, signer, draft.Packet)
		if err != nil {
			t.Fatalf("%s: %v", cfg.ID, err)
		}
		if !signed.Complete || signed.Fee != draft.Fee {
			t.Fatalf("%s: complete %v, fee %d (draft %d): %v", cfg.ID, signed.Complete, signed.Fee, draft.Fee, signed.Pending)
		}
		if check != nil {
			check(cfg, draft, signed)
		}
		id, err := service.Broadcast(ctx, cfg, signed.Tx)
		if err != nil {
			t.Fatalf("%s: the node refused the device's transaction: %v", cfg.ID, err)
		}
		if id != signed.Tx.TxHash() {
			t.Fatalf("%s: broadcast %v, want %v", cfg.ID, id, signed.Tx.TxHash())
		}
		fees[cfg.ID], paid = draft.Fee, paid+amount
	}
	return fees, paid
}

// checkPaid checks, once the payments of payEach are mined, that each
// account holds what it was funded with less what it paid and its fee
// (its change came back), and that the receiver holds all that was paid.
func checkPaid(t *testing.T, sync func(portfolio.WalletConfig) *wallet.State, cfgs []portfolio.WalletConfig,
	funded, fees map[string]int64, base int64, recvCfg portfolio.WalletConfig, paid int64) {
	t.Helper()
	for i, cfg := range cfgs {
		want := funded[cfg.ID] - payAmount(base, i) - fees[cfg.ID]
		if got := sync(cfg).Balance(); got.Confirmed != want || got.Unconfirmed != 0 {
			t.Errorf("%s: balance %+v after paying, want %d confirmed (change back)", cfg.ID, got, want)
		}
	}
	if got := sync(recvCfg).Balance(); got.Confirmed != paid || got.Unconfirmed != 0 {
		t.Errorf("receiver: %+v, want %d confirmed", got, paid)
	}
}

// msDevice describes a multisig descriptor to a device.
func msDevice(m *descriptor.Multisig) device.Multisig {
	out := device.Multisig{Name: "Regtest vault", Script: device.MultisigScript(m.Wrap()), Sorted: m.Sorted(), Threshold: m.Threshold()}
	for _, k := range m.Keys() {
		out.Keys = append(out.Keys, device.MultisigKey{Fingerprint: bits.ReverseBytes32(k.Origin.PSBTFingerprint()),
			Path: k.Origin.Path, Xpub: k.Xpub, Receive: k.Receive, Change: k.Change})
	}
	return out
}

// multiSigner signs with one cosigner's device for a registered multisig.
type multiSigner struct {
	d   device.Device
	ms  device.Multisig
	reg device.Registration
}

func (s multiSigner) SignPSBT(ctx context.Context, p *psbt.Packet) (*psbt.Packet, error) {
	return device.SignAll(ctx, s.d, p, []device.RegisteredMultisig{{Multisig: s.ms, Registration: s.reg}})
}

func mustScript(t *testing.T, addr string) []byte {
	t.Helper()
	s, err := wallet.DecodeAddress(addr, descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// address is the account's receive address at index i.
func (a testAccount) address(t *testing.T, i uint32) (string, []byte) {
	t.Helper()
	d, err := descriptor.Parse(a.desc, descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	x, err := d.Derive(false, i)
	if err != nil {
		t.Fatal(err)
	}
	return x.Address, x.Script
}
