package regtest

import (
	"testing"

	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

// Activity is what Populate put on the chain.
type Activity struct {
	// Scripts are the watched scripts: for each of the four accounts,
	// receive indexes 0 to 5 and change indexes 0 to 2. Among them some
	// received and spent, some only received, some were spent by a
	// mempool transaction, some appear only in the mempool, and index 5
	// and change 2 were never used.
	Scripts [][]byte
	// Spare is a mature coinbase output of the miner that nothing spends,
	// for a test that broadcasts.
	Spare Coin
}

// activationHeight is where segwit and taproot are active on btcd's
// regtest: BIP 9 deployments with 144-block windows and a threshold of
// 108 start in the second window, lock in in the third and are active
// from the fourth (height 432).
const activationHeight = 432

// fee is what each transaction of Populate pays, enough for any relay
// policy at the sizes used.
const fee = 10_000

// Populate mines past segwit and taproot activation and coinbase
// maturity, then makes payments to and from the wallet's accounts over
// a few blocks and leaves three transactions in the mempool:
//
//   - block tip-4: a transaction spending a mature coinbase pays every
//     account's receive 0 and 1 and wpkh receive 2; another pays wpkh
//     receive 2 again;
//   - block tip-3: receive 0 of each account is spent (pkh and tr in one
//     transaction), paying tr receive 2, sh-wpkh receive 2 and change;
//     wpkh receive 2 pays wpkh receive 3, which is spent in the same
//     block to tr receive 3;
//   - blocks tip-2 and tip-1 are empty;
//   - block tip: tr receive 2 (funded at tip-3) pays itself and pkh
//     receive 2; a mature coinbase pays sh-wpkh receive 1 again, and the
//     sh-wpkh receive 1 output funded at tip-4 is spent to the miner (two
//     transactions touching one script in a block, one of them spending
//     an output older than the block);
//   - mempool: wpkh change 0 (funded at tip-3) pays wpkh and tr receive
//     4, the wpkh receive 4 output is spent again by a second unconfirmed
//     transaction paying pkh receive 4, and tr receive 1 is spent to the
//     miner.
//
// The mined blocks and the change pay the miner, outside the accounts.
func Populate(t testing.TB, n *Node, w *Wallet) *Activity {
	t.Helper()
	if h := n.Height(t); h < activationHeight+8 {
		n.Mine(t, activationHeight+8-int(h))
	}
	checkActive(t, n)

	a := &Activity{}
	s := func(typ descriptor.ScriptType, change bool, i uint32) []byte {
		return w.Script(t, typ, change, i)
	}
	types := []descriptor.ScriptType{descriptor.WPKH, descriptor.TR, descriptor.PKH, descriptor.SHWPKH}
	for _, typ := range types {
		for i := uint32(0); i <= 5; i++ {
			a.Scripts = append(a.Scripts, s(typ, false, i))
		}
		for i := uint32(0); i <= 2; i++ {
			a.Scripts = append(a.Scripts, s(typ, true, i))
		}
	}
	coinbase := func(h int32) Coin { return CoinOf(n.Block(t, h).Transactions[0], 0) }
	miner := w.MinerScript()
	const btc = 100_000_000
	// pay spends coins to the given outputs, the rest (less the fee)
	// going back to the miner.
	pay := func(coins []Coin, outs ...*wire.TxOut) *wire.MsgTx {
		var in, out int64
		for _, c := range coins {
			in += c.Value
		}
		for _, o := range outs {
			out += o.Value
		}
		if rest := in - out - fee; rest > 0 {
			outs = append(outs, wire.NewTxOut(rest, miner))
		}
		tx := w.Spend(t, coins, outs)
		n.SendRaw(t, tx)
		return tx
	}
	o := wire.NewTxOut

	// Block tip-4: receipts.
	tx1 := pay([]Coin{coinbase(1)},
		o(1*btc, s(descriptor.WPKH, false, 0)),
		o(1*btc, s(descriptor.TR, false, 0)),
		o(1*btc, s(descriptor.PKH, false, 0)),
		o(1*btc, s(descriptor.SHWPKH, false, 0)),
		o(btc/2, s(descriptor.WPKH, false, 1)),
		o(btc/2, s(descriptor.TR, false, 1)),
		o(btc/3, s(descriptor.PKH, false, 1)),
		o(btc/3, s(descriptor.SHWPKH, false, 1)),
		o(btc/4, s(descriptor.WPKH, false, 2)))
	tx2 := pay([]Coin{coinbase(2)}, o(2*btc, s(descriptor.WPKH, false, 2)))
	n.Mine(t, 1)

	// Block tip-3: spends, and a chain of two in one block.
	tx3 := pay([]Coin{CoinOf(tx1, 0)},
		o(btc*6/10, s(descriptor.TR, false, 2)),
		o(btc*3/10, s(descriptor.WPKH, true, 0)))
	pay([]Coin{CoinOf(tx1, 1), CoinOf(tx1, 2)},
		o(btc, s(descriptor.PKH, true, 0)))
	pay([]Coin{CoinOf(tx1, 3)},
		o(btc*9/10, s(descriptor.SHWPKH, false, 2)))
	tx6 := pay([]Coin{CoinOf(tx2, 0)},
		o(btc, s(descriptor.WPKH, false, 3)),
		o(btc*9/10, s(descriptor.WPKH, true, 1)))
	pay([]Coin{CoinOf(tx6, 0)}, o(btc*9/10, s(descriptor.TR, false, 3)))
	n.Mine(t, 3)

	// Block tip: a self-transfer of an output funded earlier.
	pay([]Coin{CoinOf(tx3, 0)},
		o(btc*3/10, s(descriptor.TR, false, 2)),
		o(btc*2/10, s(descriptor.PKH, false, 2)))
	pay([]Coin{coinbase(4)}, o(btc, s(descriptor.SHWPKH, false, 1)))
	pay([]Coin{CoinOf(tx1, 7)})
	n.Mine(t, 1)

	// Mempool.
	tx9 := pay([]Coin{CoinOf(tx3, 1)},
		o(btc/10, s(descriptor.WPKH, false, 4)),
		o(btc/10, s(descriptor.TR, false, 4)))
	pay([]Coin{CoinOf(tx9, 0)}, o(btc/20, s(descriptor.PKH, false, 4)))
	pay([]Coin{CoinOf(tx1, 5)})

	a.Spare = coinbase(3)
	return a
}

// checkActive fails the test unless segwit and taproot are active.
func checkActive(t testing.TB, n *Node) {
	t.Helper()
	var info struct {
		Bip9 map[string]struct {
			Status string `json:"status"`
		} `json:"bip9_softforks"`
	}
	n.MustCall(t, &info, "getblockchaininfo")
	for _, fork := range []string{"segwit", "taproot"} {
		if st := info.Bip9[fork].Status; st != "active" {
			t.Fatalf("regtest: %s is %q at height %d, want active", fork, st, n.Height(t))
		}
	}
}
