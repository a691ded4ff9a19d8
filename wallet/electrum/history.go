package electrum

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
)

// historyEntry is one item of blockchain.scripthash.get_history:
//
//	{"tx_hash": "<txid>", "height": 800000}            confirmed
//	{"tx_hash": "<txid>", "height": 0, "fee": 141}      unconfirmed
//	{"tx_hash": "<txid>", "height": -1, "fee": 141}     unconfirmed, with unconfirmed inputs
type historyEntry struct {
	TxHash string `json:"tx_hash"`
	Height int32  `json:"height"`
	Fee    *int64 `json:"fee,omitempty"`
}

// parseHistory decodes a get_history result. Protocol 1.4 answers a list;
// a 1.5 server may answer {"from_height","to_height","history"}, accepted
// when it covers the whole chain and mempool.
func parseHistory(raw json.RawMessage) ([]historyEntry, error) {
	raw = bytes.TrimSpace(raw)
	var list []historyEntry
	if len(raw) > 0 && raw[0] == '{' {
		var page struct {
			From    *int32         `json:"from_height"`
			To      *int32         `json:"to_height"`
			History []historyEntry `json:"history"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return nil, err
		}
		if page.From == nil || page.To == nil || page.History == nil {
			return nil, fmt.Errorf("reply is neither a history list nor a history page: %s", chain.Truncate(string(raw), 100))
		}
		if *page.From != 0 || *page.To != -1 {
			return nil, fmt.Errorf("history covers heights [%d, %d), not all of them", *page.From, *page.To)
		}
		list = page.History
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, err
	}
	for _, e := range list {
		if _, err := chain.ParseHashHex(e.TxHash); err != nil {
			return nil, err
		}
		if e.Height < -1 {
			return nil, fmt.Errorf("history entry %s has height %d", chain.Truncate(e.TxHash, 64), e.Height)
		}
	}
	return list, nil
}

// merkleInfo is the reply of blockchain.transaction.get_merkle.
type merkleInfo struct {
	BlockHeight int32    `json:"block_height"`
	Merkle      []string `json:"merkle"`
	Pos         int      `json:"pos"`
}

// parseMerkle decodes a get_merkle result.
func parseMerkle(raw json.RawMessage) (merkleInfo, []chainhash.Hash, error) {
	var m merkleInfo
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, nil, err
	}
	branch, err := chain.ParseBranchHex(m.Merkle)
	if err != nil {
		return m, nil, err
	}
	return m, branch, nil
}

// History returns the transactions touching each script, confirmed at or
// after height since, or unconfirmed.
//
// Nothing the server says is taken on trust:
//   - every transaction listed is fetched and must hash to its txid;
//   - it must pay to the script or spend an output that pays to it (the
//     spent outputs' transactions are fetched too when needed);
//   - every confirmed transaction must be proven in its block: the merkle
//     branch from blockchain.transaction.get_merkle must lead to the merkle
//     root of the 80-byte header from blockchain.block.header at the height
//     the history gives; headers at consecutive heights must link, and with
//     Config.Params set each header must carry valid proof of work.
//
// Requests are batched: one round trip per Config.BatchSize scripts for the
// histories, then one per BatchSize transactions, merkle branches and
// headers together, plus one per BatchSize spent-output transactions that
// were not already at hand. Verified transactions are kept in memory, so
// Transactions for the same ids costs nothing.
//
// Unconfirmed entries carry the server's height, 0 or -1 (-1: some input is
// itself unconfirmed); their Block is zero.
func (c *Client) History(ctx context.Context, scripts [][]byte, since int32, progress chan<- chain.Progress) ([][]chain.TxRef, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	const opHistory = "blockchain.scripthash.get_history"

	// 1. The histories, one request per distinct script.
	index := make(map[string]int) // script hash -> request
	var reqs []request
	hashes := make([]string, len(scripts))
	for i, s := range scripts {
		sh := chain.ScriptHash(s)
		hashes[i] = sh
		if _, ok := index[sh]; !ok {
			index[sh] = len(reqs)
			reqs = append(reqs, request{Method: opHistory, Params: []any{sh}})
		}
	}
	report := func(p chain.Progress) error {
		if progress == nil {
			return nil
		}
		select {
		case progress <- p:
			return nil
		case <-ctx.Done():
			return c.wrap(opHistory, ctx.Err(), ctx)
		}
	}
	total := int64(len(reqs))
	if err := report(chain.Progress{Done: 0, Total: total, What: "script histories"}); err != nil {
		return nil, err
	}
	raw, err := c.batch(ctx, reqs)
	if err != nil {
		return nil, err
	}
	if err := report(chain.Progress{Done: total, Total: total, What: "script histories"}); err != nil {
		return nil, err
	}
	entries := make([][]historyEntry, len(reqs))
	for i, r := range raw {
		es, err := parseHistory(r)
		if err != nil {
			return nil, c.wrap(opHistory, fmt.Errorf("%w: history of script hash %s: %v", chain.ErrMalformed, reqs[i].Params[0], err), ctx)
		}
		entries[i] = es
	}

	// 2. What to return, and what that needs: each transaction, and for
	// each confirmed one its merkle branch and its block's header.
	type ref struct {
		id     chainhash.Hash
		height int32
	}
	kept := make([][]ref, len(reqs))
	need := make(map[chainhash.Hash]int32) // txid -> height (<= 0: unconfirmed)
	for i, es := range entries {
		seen := make(map[chainhash.Hash]bool)
		for _, e := range es {
			if e.Height > 0 && e.Height < since {
				continue
			}
			id, _ := chain.ParseHashHex(e.TxHash)
			if seen[id] {
				continue
			}
			seen[id] = true
			if h, ok := need[id]; ok && h != e.Height {
				return nil, c.wrap(opHistory, fmt.Errorf("%w: transaction %s listed at height %d for one script and %d for another",
					chain.ErrLie, id, h, e.Height), ctx)
			}
			need[id] = e.Height
			kept[i] = append(kept[i], ref{id, e.Height})
		}
	}
	v, err := c.verify(ctx, need)
	if err != nil {
		return nil, err
	}

	// 3. Each transaction must touch the script whose history lists it.
	// Spends need the spent output: look in what was fetched, then fetch
	// what is missing, once, together.
	reqScripts := make([][]byte, len(reqs))
	for i, sh := range hashes {
		reqScripts[index[sh]] = scripts[i]
	}
	listed := make([][]chainhash.Hash, len(reqs))
	for i, rs := range kept {
		for _, r := range rs {
			listed[i] = append(listed[i], r.id)
		}
	}
	bad, err := chain.CheckTouches(reqScripts, listed, v.txs, func(ids []chainhash.Hash) ([]*wire.MsgTx, error) {
		return c.Transactions(ctx, ids)
	})
	if bad >= 0 {
		return nil, c.wrap(opHistory, err, ctx)
	}
	if err != nil {
		return nil, err
	}

	out := make([][]chain.TxRef, len(scripts))
	for i, sh := range hashes {
		rs := kept[index[sh]]
		refs := make([]chain.TxRef, len(rs))
		for j, r := range rs {
			refs[j] = chain.TxRef{TxID: r.id, Height: r.height, Block: v.blocks[r.id]}
		}
		out[i] = refs
	}
	return out, nil
}

// verified is what verify established.
type verified struct {
	txs    map[chainhash.Hash]*wire.MsgTx
	blocks map[chainhash.Hash]chainhash.Hash // txid -> block, confirmed only
}

// verify fetches each transaction in need (txid -> height, <= 0 for
// unconfirmed) and proves each confirmed one in its block. Transactions,
// merkle branches and headers travel in the same batches.
func (c *Client) verify(ctx context.Context, need map[chainhash.Hash]int32) (*verified, error) {
	const (
		opTx     = "blockchain.transaction.get"
		opMerkle = "blockchain.transaction.get_merkle"
		opHeader = "blockchain.block.header"
	)
	v := &verified{
		txs:    make(map[chainhash.Hash]*wire.MsgTx, len(need)),
		blocks: make(map[chainhash.Hash]chainhash.Hash),
	}
	var reqs []request
	type slot struct {
		kind   int // 0 tx, 1 merkle, 2 header
		id     chainhash.Hash
		height int32
	}
	var slots []slot
	heights := make(map[int32]bool)
	recheck := make(map[chainhash.Hash]chainhash.Hash) // proven before: txid -> block
	for id, height := range need {
		if tx := c.cache.Get(id); tx != nil {
			v.txs[id] = tx
		} else {
			reqs = append(reqs, request{Method: opTx, Params: []any{id.String()}})
			slots = append(slots, slot{0, id, height})
		}
		if height <= 0 {
			continue
		}
		if !heights[height] {
			heights[height] = true
			reqs = append(reqs, request{Method: opHeader, Params: []any{height}})
			slots = append(slots, slot{2, id, height})
		}
		if blk, ok := c.proven.Get(id, height); ok {
			recheck[id] = blk
			continue
		}
		reqs = append(reqs, request{Method: opMerkle, Params: []any{id.String(), height}})
		slots = append(slots, slot{1, id, height})
	}
	raw, err := c.batch(ctx, reqs)
	if err != nil {
		return nil, err
	}

	headers := make(map[int32]*wire.BlockHeader)
	type proof struct {
		branch []chainhash.Hash
		pos    int
	}
	proofs := make(map[chainhash.Hash]proof)
	parseProof := func(s slot, raw json.RawMessage) error {
		m, branch, err := parseMerkle(raw)
		if err != nil {
			return c.wrap(opMerkle, fmt.Errorf("%w: proof of %s: %v", chain.ErrMalformed, s.id, err), ctx)
		}
		if m.BlockHeight != s.height {
			return c.wrap(opMerkle, fmt.Errorf("%w: proof of %s is for height %d, history says %d",
				chain.ErrLie, s.id, m.BlockHeight, s.height), ctx)
		}
		proofs[s.id] = proof{branch, m.Pos}
		return nil
	}
	for i, s := range slots {
		switch s.kind {
		case 0:
			var hexTx string
			if err := json.Unmarshal(raw[i], &hexTx); err != nil {
				return nil, c.wrap(opTx, fmt.Errorf("%w: transaction %s: %v", chain.ErrMalformed, s.id, err), ctx)
			}
			tx, err := chain.ParseTxHex(hexTx)
			if err != nil {
				return nil, c.wrap(opTx, fmt.Errorf("%w: transaction %s: %v", chain.ErrMalformed, s.id, err), ctx)
			}
			if err := chain.CheckTx(s.id, tx); err != nil {
				return nil, c.wrap(opTx, err, ctx)
			}
			c.cache.Put(s.id, tx)
			v.txs[s.id] = tx
		case 1:
			if err := parseProof(s, raw[i]); err != nil {
				return nil, err
			}
		case 2:
			var hexHdr string
			if err := json.Unmarshal(raw[i], &hexHdr); err != nil {
				return nil, c.wrap(opHeader, fmt.Errorf("%w: header at height %d: %v", chain.ErrMalformed, s.height, err), ctx)
			}
			hdr, err := chain.ParseHeaderHex(hexHdr)
			if err != nil {
				return nil, c.wrap(opHeader, fmt.Errorf("%w: header at height %d: %v", chain.ErrMalformed, s.height, err), ctx)
			}
			if err := chain.CheckWork(hdr, c.cfg.Params); err != nil {
				return nil, c.wrap(opHeader, err, ctx)
			}
			headers[s.height] = hdr
		}
	}
	if err := chain.CheckLinks(headers); err != nil {
		return nil, c.wrap(opHeader, err, ctx)
	}

	// Transactions proven before in a block that is still at its height
	// need no new proof; those whose block changed (a reorganisation)
	// do.
	var again []slot
	for id, blk := range recheck {
		if headers[need[id]].BlockHash() == blk {
			v.blocks[id] = blk
			continue
		}
		again = append(again, slot{1, id, need[id]})
	}
	if len(again) > 0 {
		reqs := make([]request, len(again))
		for i, s := range again {
			reqs[i] = request{Method: opMerkle, Params: []any{s.id.String(), s.height}}
		}
		raw, err := c.batch(ctx, reqs)
		if err != nil {
			return nil, err
		}
		for i, s := range again {
			if err := parseProof(s, raw[i]); err != nil {
				return nil, err
			}
		}
	}

	for id, height := range need {
		if height <= 0 {
			continue
		}
		if _, ok := v.blocks[id]; ok {
			continue
		}
		hdr := headers[height]
		p := proofs[id]
		if err := chain.CheckInclusion(v.txs[id], hdr, p.branch, p.pos); err != nil {
			return nil, c.wrap(opMerkle, fmt.Errorf("transaction %s at height %d: %w", id, height, err), ctx)
		}
		v.blocks[id] = hdr.BlockHash()
		c.proven.Put(id, height, v.blocks[id])
	}
	return v, nil
}

// Transactions returns the transactions with the given ids, in order, each
// checked to hash to its id. Ids already fetched (by History or an earlier
// call) come from memory; the rest travel in batches.
func (c *Client) Transactions(ctx context.Context, ids []chainhash.Hash) ([]*wire.MsgTx, error) {
	const op = "blockchain.transaction.get"
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	out := make([]*wire.MsgTx, len(ids))
	var reqs []request
	var want []chainhash.Hash
	asked := make(map[chainhash.Hash]bool)
	for i, id := range ids {
		if tx := c.cache.Get(id); tx != nil {
			out[i] = tx
		} else if !asked[id] {
			asked[id] = true
			reqs = append(reqs, request{Method: op, Params: []any{id.String()}})
			want = append(want, id)
		}
	}
	raw, err := c.batch(ctx, reqs)
	if err != nil {
		return nil, err
	}
	got := make(map[chainhash.Hash]*wire.MsgTx, len(want))
	for i, r := range raw {
		id := want[i]
		var hexTx string
		if err := json.Unmarshal(r, &hexTx); err != nil {
			return nil, c.wrap(op, fmt.Errorf("%w: transaction %s: %v", chain.ErrMalformed, id, err), ctx)
		}
		tx, err := chain.ParseTxHex(hexTx)
		if err != nil {
			return nil, c.wrap(op, fmt.Errorf("%w: transaction %s: %v", chain.ErrMalformed, id, err), ctx)
		}
		if err := chain.CheckTx(id, tx); err != nil {
			return nil, c.wrap(op, err, ctx)
		}
		c.cache.Put(id, tx)
		got[id] = tx
	}
	for i, id := range ids {
		if out[i] == nil {
			out[i] = got[id]
		}
		// Callers may change what they get; the cache keeps its own.
		out[i] = out[i].Copy()
	}
	return out, nil
}

// serializeHex returns tx in hex, with witness data.
func serializeHex(tx *wire.MsgTx) (string, error) {
	var buf bytes.Buffer
	buf.Grow(tx.SerializeSize())
	if err := tx.Serialize(&buf); err != nil {
		return "", err
	}
	return hex.EncodeToString(buf.Bytes()), nil
}
