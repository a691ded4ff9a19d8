package bitcoind

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
)

// errReorg reports that the best chain changed under a scan; History
// starts over.
var errReorg = errors.New("the best chain changed during the scan")

// Batch sizes: block hashes and filters are asked for this many at a
// time, and this many matching blocks are fetched at once.
const (
	hashBatch    = 2000
	filterBatch  = 500
	blockFetches = 4
	txBatch      = 500
)

// History returns the history of each script from height since (see
// Source for how). Progress reports count block filters.
func (s *Source) History(ctx context.Context, scripts [][]byte, since int32, progress chan<- chain.Progress) ([][]chain.TxRef, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := make([][]chain.TxRef, len(scripts))
	if len(scripts) == 0 {
		return res, nil
	}
	// Scan for each distinct script once.
	index := make(map[string]int32, len(scripts))
	var uniq [][]byte
	pos := make([]int32, len(scripts))
	for i, sc := range scripts {
		k, ok := index[string(sc)]
		if !ok {
			k = int32(len(uniq))
			index[string(sc)] = k
			uniq = append(uniq, sc)
		}
		pos[i] = k
	}
	var hist [][]chain.TxRef
	for attempt := 0; ; attempt++ {
		var err error
		hist, err = s.scan(ctx, uniq, index, since, progress)
		if errors.Is(err, errReorg) && attempt < 3 {
			continue
		}
		if err != nil {
			return nil, err
		}
		break
	}
	for i := range scripts {
		res[i] = append([]chain.TxRef{}, hist[pos[i]]...)
	}
	return res, nil
}

// scan is one attempt at History for distinct scripts.
type scan struct {
	s     *Source
	index map[string]int32
	from  int32
	hist  [][]chain.TxRef
	// known maps the outputs found paying the scripts, so that spends of
	// them are found later in the scan.
	known map[wire.OutPoint]int32
	found map[chainhash.Hash]chainhash.Hash
}

func (s *Source) scan(ctx context.Context, scripts [][]byte, index map[string]int32, since int32, progress chan<- chain.Progress) ([][]chain.TxRef, error) {
	var tip int32
	if err := s.c.call(ctx, "getblockcount", &tip); err != nil {
		return nil, err
	}
	sc := &scan{
		s:     s,
		index: index,
		from:  max(since, 1),
		hist:  make([][]chain.TxRef, len(scripts)),
		known: make(map[wire.OutPoint]int32),
		found: make(map[chainhash.Hash]chainhash.Hash),
	}
	for i := range sc.hist {
		sc.hist[i] = []chain.TxRef{}
	}
	if sc.from <= tip {
		if err := sc.blocks(ctx, scripts, tip, progress); err != nil {
			return nil, err
		}
	}
	if err := sc.mempool(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	for tx, b := range sc.found {
		s.txBlock[tx] = b
	}
	s.mu.Unlock()
	return sc.hist, nil
}

// filterChunk is a run of consecutive filters, from height lo.
type filterChunk struct {
	lo      int32
	filters []blockFilter
	headers []chainhash.Hash
	err     error
}

// blocks scans the filters from sc.from to tip and the blocks they match.
func (sc *scan) blocks(ctx context.Context, scripts [][]byte, tip int32, progress chan<- chain.Progress) error {
	s := sc.s
	// hashes[i] is the hash at height from-1+i.
	hashes, err := s.hashes(ctx, sc.from-1, tip)
	if err != nil {
		return err
	}
	prevHeader, err := s.filterHeader(ctx, hashes[0])
	if err != nil {
		return err
	}

	// Fetch filters one batch ahead of matching.
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan filterChunk, 1)
	go func() {
		defer close(chunks)
		for lo := sc.from; lo <= tip; lo += filterBatch {
			hi := min(lo+filterBatch-1, tip)
			c := filterChunk{lo: lo}
			c.filters, c.headers, c.err = s.filters(fctx, hashes[lo-sc.from+1:hi-sc.from+2])
			select {
			case chunks <- c:
			case <-fctx.Done():
				return
			}
			if c.err != nil {
				return
			}
		}
	}()

	m := &matcher{scripts: scripts}
	total := int64(tip - sc.from + 1)
	var done int64
	for c := range chunks {
		if c.err != nil {
			return c.err
		}
		// Each filter must extend the filter header chain.
		for i, f := range c.filters {
			h := filterHeader(f.data, prevHeader)
			if h != c.headers[i] {
				return s.c.fail("filters", fmt.Errorf("%w: filter of block %s (height %d) does not match its filter header",
					chain.ErrLie, f.block, c.lo+int32(i)))
			}
			prevHeader = h
		}
		matches, err := m.matchAll(c.filters, s.workers)
		if err != nil {
			return s.c.fail("filters", fmt.Errorf("%w: %v", chain.ErrMalformed, err))
		}
		var heights []int32
		for i, ms := range matches {
			if len(ms) > 0 {
				heights = append(heights, c.lo+int32(i))
			}
		}
		blocks, err := sc.fetchBlocks(ctx, hashes, heights)
		if err != nil {
			return err
		}
		for k, h := range heights {
			blk := blocks[k]
			if blk.Header.PrevBlock != hashes[h-sc.from] {
				return errReorg
			}
			if err := sc.block(ctx, blk, h, matches[h-c.lo]); err != nil {
				return err
			}
		}
		done += int64(len(c.filters))
		report(progress, chain.Progress{Done: done, Total: total, What: "block filters"})
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	now, err := s.blockHash(ctx, tip)
	if err != nil {
		return err
	}
	if now != hashes[len(hashes)-1] {
		return errReorg
	}
	return nil
}

// report sends p if the receiver is ready; progress never blocks a scan.
func report(progress chan<- chain.Progress, p chain.Progress) {
	if progress == nil {
		return
	}
	select {
	case progress <- p:
	default:
	}
}

// filterHeader computes the BIP 157 filter header of a filter (in its
// serialized form) following prev.
func filterHeader(filter []byte, prev chainhash.Hash) chainhash.Hash {
	fh := chainhash.DoubleHashH(filter)
	var buf [2 * chainhash.HashSize]byte
	copy(buf[:], fh[:])
	copy(buf[chainhash.HashSize:], prev[:])
	return chainhash.DoubleHashH(buf[:])
}

// fetchBlocks fetches and checks the blocks at heights, a few at a time.
func (sc *scan) fetchBlocks(ctx context.Context, hashes []chainhash.Hash, heights []int32) ([]*wire.MsgBlock, error) {
	out := make([]*wire.MsgBlock, len(heights))
	errs := make([]error, len(heights))
	sem := make(chan struct{}, blockFetches)
	var wg sync.WaitGroup
	for k, h := range heights {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[k], errs[k] = sc.s.block(ctx, hashes[h-sc.from+1])
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// touch records that transaction i touches script k, once.
func touch(touched [][]int32, i int, k int32) {
	for _, x := range touched[i] {
		if x == k {
			return
		}
	}
	touched[i] = append(touched[i], k)
}

// block finds the transactions of blk (at height h) that touch the
// scripts. matched lists the scripts its filter matched.
func (sc *scan) block(ctx context.Context, blk *wire.MsgBlock, h int32, matched []int32) error {
	touched := make([][]int32, len(blk.Transactions))
	ids := make([]chainhash.Hash, len(blk.Transactions))
	for i, tx := range blk.Transactions {
		ids[i] = tx.TxHash()
		if i > 0 {
			for _, in := range tx.TxIn {
				if k, ok := sc.known[in.PreviousOutPoint]; ok {
					touch(touched, i, k)
					delete(sc.known, in.PreviousOutPoint)
				}
			}
		}
		for j, out := range tx.TxOut {
			if k, ok := sc.index[string(out.PkScript)]; ok {
				touch(touched, i, k)
				sc.known[wire.OutPoint{Hash: ids[i], Index: uint32(j)}] = k
			}
		}
	}

	// When the scan starts above height 1, an input may spend a script's
	// output funded before the scan, which the outpoints found cannot
	// show: look at what the inputs of a matching block spend. (The
	// filter cannot tell which of a script's appearances it saw, so
	// every matching block needs it.)
	resolve := sc.from > 1 && len(matched) > 0
	if resolve {
		inBlock := make(map[chainhash.Hash]bool, len(ids))
		for _, id := range ids {
			inBlock[id] = true
		}
		var ops []wire.OutPoint
		for _, tx := range blk.Transactions[1:] {
			for _, in := range tx.TxIn {
				if !inBlock[in.PreviousOutPoint.Hash] {
					ops = append(ops, in.PreviousOutPoint)
				}
			}
		}
		spent, err := sc.s.prevScripts(ctx, blk.BlockHash(), ops)
		if err != nil {
			return err
		}
		for i, tx := range blk.Transactions[1:] {
			for _, in := range tx.TxIn {
				if sp := spent[in.PreviousOutPoint]; len(sp) > 0 {
					if k, ok := sc.index[string(sp)]; ok {
						touch(touched, i+1, k)
					}
				}
			}
		}
	}

	bh := blk.BlockHash()
	for i, ks := range touched {
		for _, k := range ks {
			sc.hist[k] = append(sc.hist[k], chain.TxRef{TxID: ids[i], Height: h, Block: bh})
			sc.found[ids[i]] = bh
		}
	}
	return nil
}

// hashes returns the block hashes at heights lo to hi.
func (s *Source) hashes(ctx context.Context, lo, hi int32) ([]chainhash.Hash, error) {
	out := make([]chainhash.Hash, 0, hi-lo+1)
	for start := lo; start <= hi; start += hashBatch {
		end := min(start+hashBatch-1, hi)
		params := make([][]any, 0, end-start+1)
		for h := start; h <= end; h++ {
			params = append(params, []any{h})
		}
		res, err := s.c.batch(ctx, "getblockhash", params)
		if err != nil {
			return nil, err
		}
		for _, r := range res {
			var str string
			if err := s.c.decode("getblockhash", r, &str); err != nil {
				return nil, err
			}
			h, err := s.parseHash("getblockhash", str)
			if err != nil {
				return nil, err
			}
			out = append(out, h)
		}
	}
	return out, nil
}

// filterHeader returns the basic filter header of a block.
func (s *Source) filterHeader(ctx context.Context, block chainhash.Hash) (chainhash.Hash, error) {
	if s.kind == Core {
		var r struct {
			Header string `json:"header"`
		}
		if err := s.c.call(ctx, "getblockfilter", &r, block.String(), "basic"); err != nil {
			return chainhash.Hash{}, coreFilterHint(err)
		}
		return s.parseHash("getblockfilter", r.Header)
	}
	var str string
	if err := s.c.call(ctx, "getcfilterheader", &str, block.String(), 0); err != nil {
		return chainhash.Hash{}, err
	}
	return s.parseHash("getcfilterheader", str)
}

// coreFilterHint adds the setting Bitcoin Core needs for filters.
func coreFilterHint(err error) error {
	var se *chain.ServerError
	if rpcCode(err) != 0 && errors.As(err, &se) {
		se.Err = fmt.Errorf("%w (Bitcoin Core serves block filters with -blockfilterindex=1)", se.Err)
	}
	return err
}

// filters returns the basic filters of blocks and the filter headers the
// node states for them.
func (s *Source) filters(ctx context.Context, blocks []chainhash.Hash) ([]blockFilter, []chainhash.Hash, error) {
	fs := make([]blockFilter, len(blocks))
	hs := make([]chainhash.Hash, len(blocks))
	params := make([][]any, len(blocks))
	if s.kind == Core {
		for i, b := range blocks {
			params[i] = []any{b.String(), "basic"}
		}
		res, err := s.c.batch(ctx, "getblockfilter", params)
		if err != nil {
			return nil, nil, err
		}
		for i, r := range res {
			var f struct {
				Filter string `json:"filter"`
				Header string `json:"header"`
			}
			if err := s.c.decode("getblockfilter", r, &f); err != nil {
				return nil, nil, coreFilterHint(err)
			}
			if fs[i].data, err = s.parseHex("getblockfilter", f.Filter); err != nil {
				return nil, nil, err
			}
			if hs[i], err = s.parseHash("getblockfilter", f.Header); err != nil {
				return nil, nil, err
			}
			fs[i].block = blocks[i]
		}
		return fs, hs, nil
	}
	for i, b := range blocks {
		params[i] = []any{b.String(), 0}
	}
	res, err := s.c.batch(ctx, "getcfilter", params)
	if err != nil {
		return nil, nil, err
	}
	for i, r := range res {
		var str string
		if err := s.c.decode("getcfilter", r, &str); err != nil {
			return nil, nil, err
		}
		if fs[i].data, err = s.parseHex("getcfilter", str); err != nil {
			return nil, nil, err
		}
		fs[i].block = blocks[i]
	}
	res, err = s.c.batch(ctx, "getcfilterheader", params)
	if err != nil {
		return nil, nil, err
	}
	for i, r := range res {
		var str string
		if err := s.c.decode("getcfilterheader", r, &str); err != nil {
			return nil, nil, err
		}
		if hs[i], err = s.parseHash("getcfilterheader", str); err != nil {
			return nil, nil, err
		}
	}
	return fs, hs, nil
}

// prevScripts returns the scripts of the outputs ops spend, all created
// before block (which spends them). Bitcoin Core gives them in one
// getblock at verbosity 3; otherwise the previous transactions are
// fetched, which needs the node's transaction index.
func (s *Source) prevScripts(ctx context.Context, block chainhash.Hash, ops []wire.OutPoint) (map[wire.OutPoint][]byte, error) {
	out := make(map[wire.OutPoint][]byte, len(ops))
	if len(ops) == 0 {
		return out, nil
	}
	if s.kind == Core {
		var b struct {
			Tx []struct {
				Vin []struct {
					Txid    string `json:"txid"`
					Vout    uint32 `json:"vout"`
					Prevout *struct {
						ScriptPubKey struct {
							Hex string `json:"hex"`
						} `json:"scriptPubKey"`
					} `json:"prevout"`
				} `json:"vin"`
			} `json:"tx"`
		}
		err := s.c.call(ctx, "getblock", &b, block.String(), 3)
		if err == nil {
			for _, tx := range b.Tx {
				for _, in := range tx.Vin {
					if in.Prevout == nil || in.Txid == "" {
						continue
					}
					id, err := s.parseHash("getblock", in.Txid)
					if err != nil {
						return nil, err
					}
					if out[wire.OutPoint{Hash: id, Index: in.Vout}], err = s.parseHex("getblock", in.Prevout.ScriptPubKey.Hex); err != nil {
						return nil, err
					}
				}
			}
			return out, nil
		}
		if rpcCode(err) == 0 {
			return nil, err
		}
		// An older node without verbosity 3: try its transaction index.
	}
	var ids []chainhash.Hash
	seen := make(map[chainhash.Hash]bool)
	for _, op := range ops {
		if !seen[op.Hash] {
			seen[op.Hash] = true
			ids = append(ids, op.Hash)
		}
	}
	prev := make(map[chainhash.Hash]*wire.MsgTx, len(ids))
	for lo := 0; lo < len(ids); lo += txBatch {
		part := ids[lo:min(lo+txBatch, len(ids))]
		params := make([][]any, len(part))
		for i, id := range part {
			params[i] = []any{id.String(), 0}
		}
		res, err := s.c.batch(ctx, "getrawtransaction", params)
		if err != nil {
			return nil, err
		}
		for i, r := range res {
			var str string
			if err := s.c.decode("getrawtransaction", r, &str); err != nil {
				if rpcCode(err) == codeNotFound {
					return nil, s.c.fail("getrawtransaction", fmt.Errorf(
						"finding what block %s spends needs the node's transaction index (-txindex), or a scan from height 0", block))
				}
				return nil, err
			}
			tx, err := s.parseTx("getrawtransaction", str)
			if err != nil {
				return nil, err
			}
			if err := chain.CheckTx(part[i], tx); err != nil {
				return nil, s.c.fail("getrawtransaction", err)
			}
			prev[part[i]] = tx
		}
	}
	for _, op := range ops {
		if tx := prev[op.Hash]; tx != nil && int(op.Index) < len(tx.TxOut) {
			out[op] = tx.TxOut[op.Index].PkScript
		}
	}
	return out, nil
}

// mempool adds the unconfirmed transactions touching the scripts.
func (sc *scan) mempool(ctx context.Context) error {
	s := sc.s
	var strs []string
	if err := s.c.call(ctx, "getrawmempool", &strs); err != nil {
		return err
	}
	ids := make([]chainhash.Hash, len(strs))
	for i, str := range strs {
		var err error
		if ids[i], err = s.parseHash("getrawmempool", str); err != nil {
			return err
		}
	}

	// Fetch the transactions not seen before; forget those gone.
	var missing []chainhash.Hash
	s.mu.Lock()
	current := make(map[chainhash.Hash]*mempoolTx, len(ids))
	for _, id := range ids {
		if e, ok := s.mempool[id]; ok {
			current[id] = e
		} else {
			missing = append(missing, id)
		}
	}
	s.mu.Unlock()
	for lo := 0; lo < len(missing); lo += txBatch {
		part := missing[lo:min(lo+txBatch, len(missing))]
		params := make([][]any, len(part))
		for i, id := range part {
			params[i] = []any{id.String(), 0}
		}
		res, err := s.c.batch(ctx, "getrawtransaction", params)
		if err != nil {
			return err
		}
		for i, r := range res {
			var str string
			if err := s.c.decode("getrawtransaction", r, &str); err != nil {
				if rpcCode(err) == codeNotFound {
					continue // left the mempool meanwhile
				}
				return err
			}
			tx, err := s.parseTx("getrawtransaction", str)
			if err != nil {
				return err
			}
			if err := chain.CheckTx(part[i], tx); err != nil {
				return s.c.fail("getrawtransaction", err)
			}
			current[part[i]] = &mempoolTx{tx: tx}
		}
	}
	s.mu.Lock()
	s.mempool = current
	s.mu.Unlock()

	order := topological(current)
	touched := make([][]int32, len(order))
	for i, e := range order {
		id := e.tx.TxHash()
		for _, in := range e.tx.TxIn {
			if k, ok := sc.known[in.PreviousOutPoint]; ok {
				touch(touched, i, k)
			}
		}
		for j, out := range e.tx.TxOut {
			if k, ok := sc.index[string(out.PkScript)]; ok {
				touch(touched, i, k)
				sc.known[wire.OutPoint{Hash: id, Index: uint32(j)}] = k
			}
		}
	}

	// Outputs funded before the scan started and spent in the mempool
	// are not known: look up the confirmed outputs every mempool
	// transaction spends, once per transaction, and keep them.
	if sc.from > 1 {
		var ask []wire.OutPoint
		var fill []*mempoolTx
		s.mu.Lock()
		for _, e := range order {
			if e.spends != nil {
				continue
			}
			fill = append(fill, e)
			for _, in := range e.tx.TxIn {
				if current[in.PreviousOutPoint.Hash] == nil {
					ask = append(ask, in.PreviousOutPoint)
				}
			}
		}
		s.mu.Unlock()
		scripts, err := s.txOuts(ctx, ask)
		if err != nil {
			return err
		}
		s.mu.Lock()
		for _, e := range fill {
			if e.spends == nil {
				sp := make([][]byte, len(e.tx.TxIn))
				for j, in := range e.tx.TxIn {
					sp[j] = scripts[in.PreviousOutPoint]
				}
				e.spends = sp
			}
		}
		for i, e := range order {
			for _, sp := range e.spends {
				if len(sp) == 0 {
					continue
				}
				if k, ok := sc.index[string(sp)]; ok {
					touch(touched, i, k)
				}
			}
		}
		s.mu.Unlock()
	}

	for i, ks := range touched {
		for _, k := range ks {
			sc.hist[k] = append(sc.hist[k], chain.TxRef{TxID: order[i].tx.TxHash()})
		}
	}
	return nil
}

// txOuts returns the scripts of confirmed unspent outputs (gettxout
// without the mempool's view, so outputs the mempool spends still show).
func (s *Source) txOuts(ctx context.Context, ops []wire.OutPoint) (map[wire.OutPoint][]byte, error) {
	out := make(map[wire.OutPoint][]byte, len(ops))
	for lo := 0; lo < len(ops); lo += txBatch {
		part := ops[lo:min(lo+txBatch, len(ops))]
		params := make([][]any, len(part))
		for i, op := range part {
			params[i] = []any{op.Hash.String(), op.Index, false}
		}
		res, err := s.c.batch(ctx, "gettxout", params)
		if err != nil {
			return nil, err
		}
		for i, r := range res {
			var o *struct {
				ScriptPubKey struct {
					Hex string `json:"hex"`
				} `json:"scriptPubKey"`
			}
			if err := s.c.decode("gettxout", r, &o); err != nil {
				return nil, err
			}
			if o == nil {
				continue
			}
			b, err := s.parseHex("gettxout", o.ScriptPubKey.Hex)
			if err != nil {
				return nil, err
			}
			out[part[i]] = b
		}
	}
	return out, nil
}

// topological orders mempool transactions parents first.
func topological(txs map[chainhash.Hash]*mempoolTx) []*mempoolTx {
	ids := make([]chainhash.Hash, 0, len(txs))
	for id := range txs {
		ids = append(ids, id)
	}
	order := make([]*mempoolTx, 0, len(txs))
	done := make(map[chainhash.Hash]bool, len(txs))
	var visit func(id chainhash.Hash)
	visit = func(id chainhash.Hash) {
		if done[id] {
			return
		}
		done[id] = true
		e := txs[id]
		for _, in := range e.tx.TxIn {
			if _, ok := txs[in.PreviousOutPoint.Hash]; ok {
				visit(in.PreviousOutPoint.Hash)
			}
		}
		order = append(order, e)
	}
	for _, id := range ids {
		visit(id)
	}
	return order
}
