package esplora

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
)

// Page sizes of /scripthash/:hash/txs: up to 50 unconfirmed transactions
// and 25 confirmed ones, newest first; /txs/chain/:last_seen_txid gives
// the next 25 confirmed ones.
const (
	chainPage   = 25
	mempoolPage = 50
	// maxPages bounds the pages read for one script (250,000
	// transactions), against a server that never stops paging.
	maxPages = 10000
)

// apiTx is the part of esplora's transaction JSON the client reads:
//
//	{"txid": "...", "version": 2, "locktime": 0, "vin": [...], "vout": [...],
//	 "size": 222, "weight": 561, "fee": 141,
//	 "status": {"confirmed": true, "block_height": 800000,
//	            "block_hash": "...", "block_time": 1690000000}}
//
// Unconfirmed transactions have "status": {"confirmed": false}. The
// transaction itself is fetched as hex and checked; the JSON only says
// which transactions to fetch and where they are said to be confirmed.
type apiTx struct {
	TxID   string `json:"txid"`
	Status struct {
		Confirmed   bool    `json:"confirmed"`
		BlockHeight *int32  `json:"block_height"`
		BlockHash   *string `json:"block_hash"`
	} `json:"status"`
}

// entry is one history entry as the API states it.
type entry struct {
	id     chainhash.Hash
	height int32 // 0 unconfirmed
	block  chainhash.Hash
}

// parseTxsPage decodes a page of /scripthash/:hash/txs[/chain/...].
func parseTxsPage(data []byte) ([]entry, error) {
	var page []apiTx
	if err := json.Unmarshal(data, &page); err != nil {
		return nil, err
	}
	if page == nil {
		return nil, fmt.Errorf("reply is not a list of transactions")
	}
	out := make([]entry, len(page))
	for i, t := range page {
		id, err := chain.ParseHashHex(t.TxID)
		if err != nil {
			return nil, fmt.Errorf("transaction %d: %v", i, err)
		}
		e := entry{id: id}
		if t.Status.Confirmed {
			if t.Status.BlockHeight == nil || *t.Status.BlockHeight <= 0 || t.Status.BlockHash == nil {
				return nil, fmt.Errorf("confirmed transaction %s without a block height and hash", id)
			}
			e.height = *t.Status.BlockHeight
			if e.block, err = chain.ParseHashHex(*t.Status.BlockHash); err != nil {
				return nil, fmt.Errorf("transaction %s: block %v", id, err)
			}
		}
		out[i] = e
	}
	return out, nil
}

// scriptHistory reads every page of a script's history, newest first,
// stopping at the first confirmed transaction below since.
func (c *Client) scriptHistory(ctx context.Context, sh string, since int32) ([]entry, error) {
	path := "/scripthash/" + sh + "/txs"
	var all []entry
	seen := make(map[chainhash.Hash]bool)
	for pages := 0; ; pages++ {
		if pages >= maxPages {
			return nil, c.malformed(path, "history of script hash %s goes on past %d pages", sh, maxPages)
		}
		var data []byte
		data, err := c.do(ctx, "GET", path, nil)
		if err != nil {
			return nil, err
		}
		page, err := parseTxsPage(data)
		if err != nil {
			return nil, c.malformed(path, "%v", err)
		}
		var confirmed []entry
		mempool := 0
		for _, e := range page {
			if e.height == 0 {
				if pages > 0 {
					return nil, c.lie(path, "unconfirmed transaction %s in a page of confirmed history", e.id)
				}
				mempool++
			} else {
				confirmed = append(confirmed, e)
			}
			if seen[e.id] {
				if pages > 0 && e.height > 0 {
					return nil, c.lie(path, "transaction %s listed again on a later page", e.id)
				}
				continue
			}
			seen[e.id] = true
			all = append(all, e)
		}
		if mempool >= mempoolPage {
			return nil, c.wrap("GET "+path, fmt.Errorf("script hash %s has %d or more unconfirmed transactions, more than the API lists: its history would be incomplete", sh, mempoolPage))
		}
		if len(confirmed) < chainPage {
			return all, nil
		}
		last := confirmed[len(confirmed)-1]
		if since > 0 && last.height < since {
			return all, nil // older pages are all before since
		}
		path = "/scripthash/" + sh + "/txs/chain/" + last.id.String()
	}
}

// History returns the transactions touching each script, confirmed at or
// after height since, or unconfirmed (Height 0).
//
// The API's word is checked, not taken:
//   - every transaction listed is fetched as hex (GET /tx/:txid/hex) and
//     must hash to its txid;
//   - it must pay to the script or spend an output that paid to it (the
//     spent outputs' transactions are fetched when needed);
//   - each confirmed one is proven in the block the API names: the header
//     (GET /block/:hash/header) must hash to that block hash, and the merkle
//     branch (GET /tx/:txid/merkle-proof) must lead from the txid to the
//     header's merkle root at the stated height; headers at consecutive
//     heights must link; with Config.Params, headers must carry valid work.
//
// Scripts are read up to Config.Concurrency at once, page by page
// (GET /scripthash/:hash/txs, then /txs/chain/:last_seen_txid while pages
// are full); the checks run on the same bounded pool. Transactions and
// inclusion proofs already checked are remembered, so a second sync only
// fetches what is new.
func (c *Client) History(ctx context.Context, scripts [][]byte, since int32, progress chan<- chain.Progress) ([][]chain.TxRef, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	if err := c.checkNetwork(ctx); err != nil {
		return nil, err
	}

	// 1. Histories, per distinct script.
	index := make(map[string]int)
	var uniq []string
	var uniqScripts [][]byte
	hashes := make([]string, len(scripts))
	for i, s := range scripts {
		sh := chain.ScriptHash(s)
		hashes[i] = sh
		if _, ok := index[sh]; !ok {
			index[sh] = len(uniq)
			uniq = append(uniq, sh)
			uniqScripts = append(uniqScripts, s)
		}
	}
	var (
		pmu  sync.Mutex
		done int64
	)
	report := func(p chain.Progress) error {
		if progress == nil {
			return nil
		}
		select {
		case progress <- p:
			return nil
		case <-ctx.Done():
			return c.wrap("history", ctx.Err())
		}
	}
	total := int64(len(uniq))
	if err := report(chain.Progress{Total: total, What: "script histories"}); err != nil {
		return nil, err
	}
	hists := make([][]entry, len(uniq))
	err := c.parallel(ctx, len(uniq), func(ctx context.Context, i int) error {
		es, err := c.scriptHistory(ctx, uniq[i], since)
		if err != nil {
			return err
		}
		hists[i] = es
		pmu.Lock()
		defer pmu.Unlock()
		done++
		return report(chain.Progress{Done: done, Total: total, What: "script histories"})
	})
	if err != nil {
		return nil, err
	}

	// 2. Keep what is asked for; the same transaction must be stated
	// alike for every script.
	kept := make([][]entry, len(uniq))
	stated := make(map[chainhash.Hash]entry)
	for i, es := range hists {
		for _, e := range es {
			if e.height > 0 && e.height < since {
				continue
			}
			if prev, ok := stated[e.id]; ok && (prev.height != e.height || prev.block != e.block) {
				return nil, c.lie("/scripthash/"+uniq[i]+"/txs", "transaction %s stated at height %d in block %s for one script, height %d in block %s for another",
					e.id, prev.height, prev.block, e.height, e.block)
			}
			stated[e.id] = e
			kept[i] = append(kept[i], e)
		}
	}

	// 3. Every transaction, checked against its id.
	ids := make([]chainhash.Hash, 0, len(stated))
	for id := range stated {
		ids = append(ids, id)
	}
	txs, err := c.transactions(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[chainhash.Hash]*wire.MsgTx, len(ids))
	for i, id := range ids {
		byID[id] = txs[i]
	}

	// 4. Each confirmed one, proven in its block.
	if err := c.prove(ctx, stated, byID); err != nil {
		return nil, err
	}

	// 5. Each touches the script that lists it.
	if err := c.checkTouches(ctx, uniq, uniqScripts, kept, byID); err != nil {
		return nil, err
	}

	out := make([][]chain.TxRef, len(scripts))
	for i, sh := range hashes {
		es := kept[index[sh]]
		refs := make([]chain.TxRef, len(es))
		for j, e := range es {
			refs[j] = chain.TxRef{TxID: e.id, Height: e.height, Block: e.block}
		}
		out[i] = refs
	}
	return out, nil
}

// prove checks the inclusion of every confirmed entry in its block.
func (c *Client) prove(ctx context.Context, stated map[chainhash.Hash]entry, txs map[chainhash.Hash]*wire.MsgTx) error {
	var todo []entry
	blocks := make(map[chainhash.Hash]int32)
	for _, e := range stated {
		if e.height <= 0 {
			continue
		}
		if h, ok := blocks[e.block]; ok && h != e.height {
			return c.lie("/block/"+e.block.String()+"/header", "block %s stated at heights %d and %d", e.block, h, e.height)
		}
		blocks[e.block] = e.height
		if blk, ok := c.proven.Get(e.id, e.height); ok && blk == e.block {
			continue
		}
		todo = append(todo, e)
	}

	// Headers of every block involved; consecutive ones must link.
	var blockList []chainhash.Hash
	for b := range blocks {
		blockList = append(blockList, b)
	}
	headers := make([]*wire.BlockHeader, len(blockList))
	err := c.parallel(ctx, len(blockList), func(ctx context.Context, i int) error {
		hdr, err := c.header(ctx, blockList[i])
		headers[i] = hdr
		return err
	})
	if err != nil {
		return err
	}
	byHeight := make(map[int32]*wire.BlockHeader, len(blockList))
	byHash := make(map[chainhash.Hash]*wire.BlockHeader, len(blockList))
	for i, b := range blockList {
		if other, ok := byHeight[blocks[b]]; ok {
			return c.lie("/block/"+b.String()+"/header", "blocks %s and %s both stated at height %d", other.BlockHash(), b, blocks[b])
		}
		byHeight[blocks[b]] = headers[i]
		byHash[b] = headers[i]
	}
	if err := chain.CheckLinks(byHeight); err != nil {
		return c.wrap("GET /block/:hash/header", err)
	}

	// Merkle proofs.
	return c.parallel(ctx, len(todo), func(ctx context.Context, i int) error {
		e := todo[i]
		path := "/tx/" + e.id.String() + "/merkle-proof"
		var m struct {
			BlockHeight int32    `json:"block_height"`
			Merkle      []string `json:"merkle"`
			Pos         int      `json:"pos"`
		}
		if err := c.getJSON(ctx, path, &m); err != nil {
			return err
		}
		branch, err := chain.ParseBranchHex(m.Merkle)
		if err != nil {
			return c.malformed(path, "%v", err)
		}
		if m.BlockHeight != e.height {
			return c.lie(path, "proof of %s is for height %d, the history says %d", e.id, m.BlockHeight, e.height)
		}
		if err := chain.CheckInclusion(txs[e.id], byHash[e.block], branch, m.Pos); err != nil {
			return c.wrap("GET "+path, fmt.Errorf("transaction %s at height %d: %w", e.id, e.height, err))
		}
		c.proven.Put(e.id, e.height, e.block)
		return nil
	})
}

// checkTouches checks that each kept transaction pays to or spends from
// the script whose history lists it, fetching spent outputs' transactions
// that are not at hand.
func (c *Client) checkTouches(ctx context.Context, uniq []string, scripts [][]byte, kept [][]entry, txs map[chainhash.Hash]*wire.MsgTx) error {
	listed := make([][]chainhash.Hash, len(kept))
	for i, es := range kept {
		for _, e := range es {
			listed[i] = append(listed[i], e.id)
		}
	}
	bad, err := chain.CheckTouches(scripts, listed, txs, func(ids []chainhash.Hash) ([]*wire.MsgTx, error) {
		return c.transactions(ctx, ids)
	})
	if bad >= 0 {
		return c.wrap("GET /scripthash/"+uniq[bad]+"/txs", err)
	}
	return err
}
