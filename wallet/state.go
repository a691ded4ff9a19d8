package wallet

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
)

// State is what a sync learned about a wallet: its scripts and their
// history, the transactions, and the chain tip it was synced to. It is
// computed by Wallet.Sync, saved to and loaded from the cache, and answers
// the queries (Balance, UTXOs, History, Addresses). A State returned by
// Sync or LoadState is never modified again, so any number of goroutines
// may query it; Sync returns a new State and leaves the one it was given
// alone, so readers may keep using the old one while a sync runs.
type State struct {
	w        *Wallet // the wallet it belongs to (set by Sync and LoadState)
	identity string  // the wallet's descriptors when it was built
	tip      chain.BlockRef
	chains   [2][]*scriptState // receive, change
	txs      map[chainhash.Hash]*txState
	parents  map[chainhash.Hash]*wire.MsgTx // previous transactions of our spends that are not ours

	// Derived on demand from the above by index().
	byScript map[string]*scriptState
	utxos    []UTXO
	history  []TxEntry
	balance  Balance
	indexed  bool
}

// scriptState is one derived script and the transactions that touch it.
type scriptState struct {
	change  bool
	index   uint32
	script  []byte
	address string
	txids   []chainhash.Hash
}

// txState is one transaction of the wallet.
type txState struct {
	tx     *wire.MsgTx
	height int32 // <= 0: unconfirmed
	block  chainhash.Hash
}

// Balance is the wallet's balance in satoshis. Confirmed counts unspent
// outputs in blocks, Unconfirmed those of mempool transactions; an output
// spent by a mempool transaction counts in neither.
type Balance struct {
	Confirmed   int64
	Unconfirmed int64
}

// Total returns Confirmed + Unconfirmed.
func (b Balance) Total() int64 { return b.Confirmed + b.Unconfirmed }

// UTXO is an unspent output paying to one of the wallet's scripts.
type UTXO struct {
	OutPoint wire.OutPoint
	Value    int64
	Script   []byte
	Address  string
	Change   bool   // on the change chain
	Index    uint32 // address index on its chain
	Height   int32  // confirming block; <= 0 when unconfirmed
}

// Confirmed reports whether the output is in a block.
func (u UTXO) Confirmed() bool { return u.Height > 0 }

// TxEntry is one transaction of the wallet's history.
type TxEntry struct {
	TxID   chainhash.Hash
	Height int32 // <= 0: unconfirmed
	Block  chainhash.Hash

	// Net is what the transaction did to the wallet's balance: received
	// minus spent, in satoshis (negative for a payment, fee included).
	Net int64
	// Fee is the transaction's fee in satoshis when FeeKnown, which needs
	// the value of every input (always the case for the wallet's own
	// spends, whose parents Sync fetches; not always for receipts).
	Fee      int64
	FeeKnown bool
	VSize    int64
	Coinbase bool
}

// AddressInfo describes one address of the wallet.
type AddressInfo struct {
	Change  bool
	Index   uint32
	Address string
	Script  []byte
	Used    bool  // some transaction pays to or spends from it
	Balance int64 // unspent value, confirmed and unconfirmed
	TxCount int
}

// NewState returns the State of a wallet that was never synced: no
// transactions, a zero Tip. Wallet.Sync from it scans from the birthday.
func NewState(w *Wallet) *State {
	st := newState(w)
	st.index()
	return st
}

// newState returns an empty State for w.
func newState(w *Wallet) *State {
	return &State{
		w:        w,
		identity: w.identity(),
		txs:      map[chainhash.Hash]*txState{},
		parents:  map[chainhash.Hash]*wire.MsgTx{},
	}
}

// clone returns a copy of s that can be changed without touching s. The
// transactions themselves are shared: they are never modified.
func (s *State) clone() *State {
	c := newState(s.w)
	c.identity = s.identity
	c.tip = s.tip
	for ch := range s.chains {
		for _, sc := range s.chains[ch] {
			cp := *sc
			cp.txids = slices.Clone(sc.txids)
			c.chains[ch] = append(c.chains[ch], &cp)
		}
	}
	for id, t := range s.txs {
		cp := *t
		c.txs[id] = &cp
	}
	for id, t := range s.parents {
		c.parents[id] = t
	}
	return c
}

// Tip returns the block the State was synced to.
func (s *State) Tip() chain.BlockRef { return s.tip }

// Wallet returns the wallet the State belongs to.
func (s *State) Wallet() *Wallet { return s.w }

// index computes UTXOs, balances and the history from the raw data.
func (s *State) index() {
	if s.indexed {
		return
	}
	s.byScript = map[string]*scriptState{}
	for ch := range s.chains {
		for _, sc := range s.chains[ch] {
			s.byScript[string(sc.script)] = sc
		}
	}

	// Every output of ours that some known transaction spends (mempool
	// included) is spent.
	spent := map[wire.OutPoint]bool{}
	for _, t := range s.txs {
		for _, in := range t.tx.TxIn {
			spent[in.PreviousOutPoint] = true
		}
	}
	s.utxos = s.utxos[:0]
	s.balance = Balance{}
	for id, t := range s.txs {
		for i, out := range t.tx.TxOut {
			sc, ok := s.byScript[string(out.PkScript)]
			if !ok {
				continue
			}
			op := wire.OutPoint{Hash: id, Index: uint32(i)}
			if spent[op] {
				continue
			}
			u := UTXO{OutPoint: op, Value: out.Value, Script: sc.script, Address: sc.address,
				Change: sc.change, Index: sc.index, Height: t.height}
			s.utxos = append(s.utxos, u)
			if u.Confirmed() {
				s.balance.Confirmed += u.Value
			} else {
				s.balance.Unconfirmed += u.Value
			}
		}
	}
	slices.SortFunc(s.utxos, func(a, b UTXO) int {
		if c := cmp.Compare(b.Value, a.Value); c != 0 {
			return c
		}
		return compareOutPoint(a.OutPoint, b.OutPoint)
	})

	s.history = s.history[:0]
	for id, t := range s.txs {
		e := TxEntry{TxID: id, Height: t.height, Block: t.block, Coinbase: blockchain.IsCoinBaseTx(t.tx)}
		e.VSize = vsizeOf(t.tx)
		var in, out int64
		inKnown := !e.Coinbase
		for _, txin := range t.tx.TxIn {
			prev, ok := s.prevOut(txin.PreviousOutPoint)
			if !ok {
				inKnown = false
				continue
			}
			in += prev.Value
			if _, mine := s.byScript[string(prev.PkScript)]; mine {
				e.Net -= prev.Value
			}
		}
		for _, o := range t.tx.TxOut {
			out += o.Value
			if _, mine := s.byScript[string(o.PkScript)]; mine {
				e.Net += o.Value
			}
		}
		if inKnown {
			e.Fee, e.FeeKnown = in-out, true
		}
		s.history = append(s.history, e)
	}
	slices.SortFunc(s.history, compareNewestFirst)
	s.indexed = true
}

// compareNewestFirst orders unconfirmed transactions first, then by
// descending height; within a block (whose order a Source does not give)
// by txid, so that the order is stable.
func compareNewestFirst(a, b TxEntry) int {
	ha, hb := a.Height, b.Height
	if ha <= 0 {
		ha = 1<<31 - 1
	}
	if hb <= 0 {
		hb = 1<<31 - 1
	}
	if c := cmp.Compare(hb, ha); c != 0 {
		return c
	}
	return bytes.Compare(a.TxID[:], b.TxID[:])
}

func compareOutPoint(a, b wire.OutPoint) int {
	if c := bytes.Compare(a.Hash[:], b.Hash[:]); c != 0 {
		return c
	}
	return cmp.Compare(a.Index, b.Index)
}

// prevOut returns the output op refers to, when its transaction is known.
func (s *State) prevOut(op wire.OutPoint) (*wire.TxOut, bool) {
	var tx *wire.MsgTx
	if t, ok := s.txs[op.Hash]; ok {
		tx = t.tx
	} else if p, ok := s.parents[op.Hash]; ok {
		tx = p
	}
	if tx == nil || int(op.Index) >= len(tx.TxOut) {
		return nil, false
	}
	return tx.TxOut[op.Index], true
}

// prevTx returns the full transaction with id, ours or a parent.
func (s *State) prevTx(id chainhash.Hash) *wire.MsgTx {
	if t, ok := s.txs[id]; ok {
		return t.tx
	}
	return s.parents[id]
}

func vsizeOf(tx *wire.MsgTx) int64 {
	w := int64(tx.SerializeSizeStripped())*3 + int64(tx.SerializeSize())
	return (w + 3) / 4
}

// Balance returns the wallet's balance.
func (s *State) Balance() Balance {
	s.index()
	return s.balance
}

// UTXOs returns the unspent outputs, largest first.
func (s *State) UTXOs() []UTXO {
	s.index()
	return slices.Clone(s.utxos)
}

// History returns the wallet's transactions, newest first (unconfirmed at
// the top).
func (s *State) History() []TxEntry {
	s.index()
	return slices.Clone(s.history)
}

// Tx returns a transaction of the wallet, or of a parent of its spends.
func (s *State) Tx(id chainhash.Hash) (*wire.MsgTx, bool) {
	tx := s.prevTx(id)
	return tx, tx != nil
}

// ErrUnbound: a State read from a cache without its wallet cannot derive
// new addresses.
var ErrUnbound = errors.New("state is not bound to a wallet")

// Addresses returns count addresses of the receive or change chain from
// index from, with their use. Addresses beyond those the last sync looked
// at are derived on the spot and reported unused.
func (s *State) Addresses(change bool, from, count uint32) ([]AddressInfo, error) {
	s.index()
	known := map[uint32]*scriptState{}
	for _, sc := range s.chains[chainIdx(change)] {
		known[sc.index] = sc
	}
	bal := map[string]int64{}
	for _, u := range s.utxos {
		bal[string(u.Script)] += u.Value
	}
	var out []AddressInfo
	var missing bool
	for i := from; i < from+count && i >= from; i++ {
		if sc, ok := known[i]; ok {
			out = append(out, AddressInfo{Change: change, Index: i, Address: sc.address, Script: sc.script,
				Used: len(sc.txids) > 0, Balance: bal[string(sc.script)], TxCount: len(sc.txids)})
			continue
		}
		missing = true
		break
	}
	if !missing {
		return out, nil
	}
	if s.w == nil {
		return nil, ErrUnbound
	}
	if change && !s.w.HasChange() {
		return nil, fmt.Errorf("wallet %q has no change chain", s.w.ID)
	}
	start := from + uint32(len(out))
	derived, err := s.w.derive(change, start, from+count-start)
	if err != nil {
		return nil, err
	}
	for _, d := range derived {
		if sc, ok := known[d.Index]; ok {
			out = append(out, AddressInfo{Change: change, Index: d.Index, Address: sc.address, Script: sc.script,
				Used: len(sc.txids) > 0, Balance: bal[string(sc.script)], TxCount: len(sc.txids)})
			continue
		}
		out = append(out, AddressInfo{Change: change, Index: d.Index, Address: d.Address, Script: d.Script})
	}
	return out, nil
}

// NextReceive returns the first unused receive address.
func (s *State) NextReceive() (AddressInfo, error) { return s.nextUnused(false) }

// NextChange returns the first unused change address, or the first unused
// receive address for a wallet without a change chain.
func (s *State) NextChange() (AddressInfo, error) {
	if s.w != nil && !s.w.HasChange() {
		return s.nextUnused(false)
	}
	return s.nextUnused(true)
}

func (s *State) nextUnused(change bool) (AddressInfo, error) {
	next := uint32(0)
	for _, sc := range s.chains[chainIdx(change)] {
		if len(sc.txids) == 0 {
			return AddressInfo{Change: change, Index: sc.index, Address: sc.address, Script: sc.script}, nil
		}
		next = sc.index + 1
	}
	if s.w == nil {
		return AddressInfo{}, ErrUnbound
	}
	if !s.w.ranged(change) && next > 0 {
		// A single-script descriptor reuses its one address.
		sc := s.chains[chainIdx(change)][0]
		return AddressInfo{Change: change, Index: 0, Address: sc.address, Script: sc.script, Used: true, TxCount: len(sc.txids)}, nil
	}
	ds, err := s.w.derive(change, next, 2)
	if err != nil {
		return AddressInfo{}, err
	}
	if len(ds) == 0 {
		return AddressInfo{}, fmt.Errorf("wallet %q: no address at index %d", s.w.ID, next)
	}
	return AddressInfo{Change: change, Index: ds[0].Index, Address: ds[0].Address, Script: ds[0].Script}, nil
}

func chainIdx(change bool) int {
	if change {
		return 1
	}
	return 0
}

func hashHex(h chainhash.Hash) string { return h.String() }

func parseHash(s string) (chainhash.Hash, error) {
	h, err := chainhash.NewHashFromStr(s)
	if err != nil || len(s) != 64 {
		return chainhash.Hash{}, fmt.Errorf("bad hash %q", s)
	}
	return *h, nil
}
