package bitcoind

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sync"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
)

// Kind is the node software behind the RPC endpoint.
type Kind int

// The node kinds.
const (
	Core Kind = iota + 1 // Bitcoin Core (bitcoind)
	Btcd                 // btcd
)

func (k Kind) String() string {
	switch k {
	case Core:
		return "bitcoind"
	case Btcd:
		return "btcd"
	}
	return "node"
}

// Config says how to reach the node.
type Config struct {
	// URL is the node's RPC endpoint, http://host:port or
	// https://host:port (Bitcoin Core serves plain HTTP; put TLS in front
	// of it to reach it over a network). A bare host:port means http.
	URL string
	// User and Password are the RPC credentials (rpcuser/rpcpassword, or
	// an rpcauth entry).
	User, Password string
	// CookieFile, if set, is Bitcoin Core's .cookie file, read for the
	// credentials instead of User and Password, and read again when the
	// node restarts.
	CookieFile string
	// Net, if set, is the network the node must be on; Dial compares the
	// node's genesis block with it.
	Net *chaincfg.Params
	// HTTPClient, if set, makes the requests (for custom TLS roots or a
	// proxy). Its Timeout should be zero or long: filter batches and
	// blocks are large, and every call already honours its context.
	HTTPClient *http.Client
	// Workers is the number of goroutines matching filters; 0 means one
	// per CPU.
	Workers int
}

// Source is a chain.Source backed by a node's RPC. It is safe for
// concurrent use.
//
// History scans the node's BIP 158 basic block filters (Bitcoin Core
// needs -blockfilterindex=1; btcd builds them unless --nocfilters) from
// since to the tip, checking each filter against its filter header
// chain, matches the scripts locally, and fetches only the blocks that
// match, checking that each hashes to the chain's hash and that its
// merkle root and witness commitment hold. It finds payments to the
// scripts and, by following the outputs it found, spends of them, in
// height order. When since is above 1, spends of outputs funded before
// since are found by asking the node for the scripts the inputs spend:
// of every matching block (getblock verbosity 3 on Bitcoin Core, else
// getrawtransaction of the previous transactions, which needs the
// transaction index) and of the mempool (gettxout), once per mempool
// transaction. The mempool is read with getrawmempool and
// getrawtransaction; the transactions already seen are kept in memory,
// so later calls fetch only new ones. Nothing is stored on disk.
//
// Transactions fetches the blocks History found transactions in, or asks
// getrawtransaction (which needs -txindex for other confirmed
// transactions).
type Source struct {
	c       *client
	kind    Kind
	workers int
	tr      *http.Transport // ours to close, when we made the client

	mu      sync.Mutex
	txBlock map[chainhash.Hash]chainhash.Hash // confirmed txs History found, and their blocks
	mempool map[chainhash.Hash]*mempoolTx
}

// mempoolTx is an unconfirmed transaction kept between History calls,
// with the scripts its inputs spend once looked up.
type mempoolTx struct {
	tx     *wire.MsgTx
	spends [][]byte // by input, the confirmed scripts spent; nil until looked up
}

// Dial connects to the node, finds out whether it is Bitcoin Core or
// btcd, and checks its network when cfg.Net is set.
func Dial(ctx context.Context, cfg Config) (*Source, error) {
	raw := cfg.URL
	if !bytes.Contains([]byte(raw), []byte("://")) {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("bitcoind: bad node URL %q", cfg.URL)
	}
	s := &Source{
		workers: cfg.Workers,
		txBlock: make(map[chainhash.Hash]chainhash.Hash),
		mempool: make(map[chainhash.Hash]*mempoolTx),
	}
	hc := cfg.HTTPClient
	if hc == nil {
		s.tr = http.DefaultTransport.(*http.Transport).Clone()
		s.tr.MaxIdleConnsPerHost = 8
		hc = &http.Client{Transport: s.tr}
	}
	s.c = &client{url: u.String(), server: "node " + u.Host, hc: hc, user: cfg.User, pass: cfg.Password, cookie: cfg.CookieFile}
	if cfg.CookieFile != "" {
		s.c.user, s.c.pass = "", ""
	}

	// btcd answers "version"; Bitcoin Core has no such method.
	var v map[string]json.RawMessage
	err = s.c.call(ctx, "version", &v)
	switch {
	case err == nil && v["btcdjsonrpcapi"] != nil:
		s.kind = Btcd
	case rpcCode(err) == codeMethodNotFound:
		s.kind = Core
		var info struct {
			Version    int    `json:"version"`
			Subversion string `json:"subversion"`
		}
		if err := s.c.call(ctx, "getnetworkinfo", &info); err != nil {
			return nil, err
		}
		if info.Version > 0 && info.Version < 190000 {
			return nil, s.c.fail("getnetworkinfo", fmt.Errorf("Bitcoin Core %s is too old: block filters need 0.19 or later", info.Subversion))
		}
	case err != nil:
		return nil, err
	default:
		return nil, s.c.fail("version", fmt.Errorf("%w: neither Bitcoin Core nor btcd", chain.ErrMalformed))
	}
	s.c.server = s.kind.String() + " " + u.Host

	if cfg.Net != nil {
		var g string
		if err := s.c.call(ctx, "getblockhash", &g, 0); err != nil {
			return nil, err
		}
		if g != cfg.Net.GenesisHash.String() {
			return nil, s.c.fail("getblockhash", fmt.Errorf("node is not on %s (genesis %s)", cfg.Net.Name, g))
		}
	}
	return s, nil
}

// Kind tells which node software the source talks to.
func (s *Source) Kind() Kind { return s.kind }

// Close releases idle connections; later calls fail.
func (s *Source) Close() error {
	s.c.closed.Store(true)
	if s.tr != nil {
		s.tr.CloseIdleConnections()
	}
	return nil
}

// Tip returns the best block.
func (s *Source) Tip(ctx context.Context) (chain.BlockRef, error) {
	var h int32
	if err := s.c.call(ctx, "getblockcount", &h); err != nil {
		return chain.BlockRef{}, err
	}
	hash, err := s.blockHash(ctx, h)
	if err != nil {
		return chain.BlockRef{}, err
	}
	return chain.BlockRef{Height: h, Hash: hash}, nil
}

func (s *Source) blockHash(ctx context.Context, h int32) (chainhash.Hash, error) {
	var str string
	if err := s.c.call(ctx, "getblockhash", &str, h); err != nil {
		return chainhash.Hash{}, err
	}
	return s.parseHash("getblockhash", str)
}

func (s *Source) parseHash(op, str string) (chainhash.Hash, error) {
	h, err := chainhash.NewHashFromStr(str)
	if err != nil || len(str) != 2*chainhash.HashSize {
		return chainhash.Hash{}, s.c.fail(op, fmt.Errorf("%w: bad hash %q", chain.ErrMalformed, str))
	}
	return *h, nil
}

func (s *Source) parseHex(op, str string) ([]byte, error) {
	b, err := hex.DecodeString(str)
	if err != nil {
		return nil, s.c.fail(op, fmt.Errorf("%w: %v", chain.ErrMalformed, err))
	}
	return b, nil
}

func (s *Source) parseTx(op, str string) (*wire.MsgTx, error) {
	b, err := s.parseHex(op, str)
	if err != nil {
		return nil, err
	}
	var tx wire.MsgTx
	if err := tx.Deserialize(bytes.NewReader(b)); err != nil {
		return nil, s.c.fail(op, fmt.Errorf("%w: transaction: %v", chain.ErrMalformed, err))
	}
	return &tx, nil
}

// block fetches the block with the given hash and checks it: it must
// hash to hash, and its merkle root and witness commitment must hold.
func (s *Source) block(ctx context.Context, hash chainhash.Hash) (*wire.MsgBlock, error) {
	var str string
	if err := s.c.call(ctx, "getblock", &str, hash.String(), 0); err != nil {
		return nil, err
	}
	b, err := s.parseHex("getblock", str)
	if err != nil {
		return nil, err
	}
	var blk wire.MsgBlock
	if err := blk.Deserialize(bytes.NewReader(b)); err != nil {
		return nil, s.c.fail("getblock", fmt.Errorf("%w: block: %v", chain.ErrMalformed, err))
	}
	if got := blk.BlockHash(); got != hash {
		return nil, s.c.fail("getblock", fmt.Errorf("%w: block %s hashes to %s", chain.ErrLie, hash, got))
	}
	if len(blk.Transactions) == 0 {
		return nil, s.c.fail("getblock", fmt.Errorf("%w: block %s has no transactions", chain.ErrLie, hash))
	}
	u := btcutil.NewBlock(&blk)
	if root := blockchain.CalcMerkleRoot(u.Transactions(), false); root != blk.Header.MerkleRoot {
		return nil, s.c.fail("getblock", fmt.Errorf("%w: block %s: transactions do not match the merkle root", chain.ErrLie, hash))
	}
	if err := blockchain.ValidateWitnessCommitment(u); err != nil {
		return nil, s.c.fail("getblock", fmt.Errorf("%w: block %s: %v", chain.ErrLie, hash, err))
	}
	return &blk, nil
}

// Transactions returns the transactions with the given ids, checked
// against their ids.
func (s *Source) Transactions(ctx context.Context, ids []chainhash.Hash) ([]*wire.MsgTx, error) {
	out := make([]*wire.MsgTx, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	// Transactions History found in blocks come from those blocks.
	byBlock := make(map[chainhash.Hash][]int)
	var rest []int
	s.mu.Lock()
	for i, id := range ids {
		if b, ok := s.txBlock[id]; ok {
			byBlock[b] = append(byBlock[b], i)
		} else {
			rest = append(rest, i)
		}
	}
	s.mu.Unlock()
	for b, idx := range byBlock {
		blk, err := s.block(ctx, b)
		if err != nil {
			return nil, err
		}
		in := make(map[chainhash.Hash]*wire.MsgTx, len(blk.Transactions))
		for _, tx := range blk.Transactions {
			in[tx.TxHash()] = tx
		}
		for _, i := range idx {
			if tx := in[ids[i]]; tx != nil {
				out[i] = tx
			} else {
				rest = append(rest, i)
			}
		}
	}
	// The others (mempool, or confirmed with the node's tx index).
	for lo := 0; lo < len(rest); lo += 500 {
		part := rest[lo:min(lo+500, len(rest))]
		params := make([][]any, len(part))
		for k, i := range part {
			params[k] = []any{ids[i].String(), 0}
		}
		res, err := s.c.batch(ctx, "getrawtransaction", params)
		if err != nil {
			return nil, err
		}
		for k, i := range part {
			var str string
			if err := s.c.decode("getrawtransaction", res[k], &str); err != nil {
				if rpcCode(err) == codeNotFound {
					return nil, s.c.fail("getrawtransaction", fmt.Errorf("transaction %s not found (confirmed transactions outside the wallet's history need the node's transaction index)", ids[i]))
				}
				return nil, err
			}
			tx, err := s.parseTx("getrawtransaction", str)
			if err != nil {
				return nil, err
			}
			out[i] = tx
		}
	}
	for i, id := range ids {
		if err := chain.CheckTx(id, out[i]); err != nil {
			return nil, s.c.fail("transactions", err)
		}
	}
	return out, nil
}

// FeeRate asks the node's fee estimator (estimatesmartfee, or btcd's
// estimatefee), in sat/vB. A node that has seen too few transactions has
// no estimate: then the error is chain.ErrNoFeeEstimate, and the caller
// should ask the user for a rate.
func (s *Source) FeeRate(ctx context.Context, target int) (float64, error) {
	target = max(1, min(target, 1008))
	var btcPerKvB float64
	switch s.kind {
	case Core:
		var r struct {
			FeeRate *float64 `json:"feerate"`
			Errors  []string `json:"errors"`
		}
		if err := s.c.call(ctx, "estimatesmartfee", &r, target); err != nil {
			return 0, err
		}
		if r.FeeRate == nil {
			return 0, s.c.fail("estimatesmartfee", fmt.Errorf("%w: %v", chain.ErrNoFeeEstimate, r.Errors))
		}
		btcPerKvB = *r.FeeRate
	default:
		// btcd estimates up to 25 blocks ahead; a longer target gets the
		// 25-block rate, the lowest it knows.
		err := s.c.call(ctx, "estimatefee", &btcPerKvB, min(target, 25))
		if code := rpcCode(err); code != 0 {
			return 0, s.c.fail("estimatefee", fmt.Errorf("%w: %v", chain.ErrNoFeeEstimate, err))
		}
		if err != nil {
			return 0, err
		}
	}
	if !(btcPerKvB > 0) || math.IsInf(btcPerKvB, 0) {
		return 0, s.c.fail("estimatefee", fmt.Errorf("%w: node answered %v", chain.ErrNoFeeEstimate, btcPerKvB))
	}
	return btcPerKvB * 1e5, nil // 1e8 sat per BTC / 1000 vB per kvB
}

// Broadcast submits tx with sendrawtransaction. A node refusing it gives
// chain.ErrRejected with the node's reason.
func (s *Source) Broadcast(ctx context.Context, tx *wire.MsgTx) (chainhash.Hash, error) {
	var buf bytes.Buffer
	if err := tx.Serialize(&buf); err != nil {
		return chainhash.Hash{}, err
	}
	var str string
	err := s.c.call(ctx, "sendrawtransaction", &str, hex.EncodeToString(buf.Bytes()))
	var re *RPCError
	if errors.As(err, &re) {
		return chainhash.Hash{}, s.c.fail("sendrawtransaction", fmt.Errorf("%w: %s", chain.ErrRejected, re))
	}
	if err != nil {
		return chainhash.Hash{}, err
	}
	id, err := s.parseHash("sendrawtransaction", str)
	if err != nil {
		return chainhash.Hash{}, err
	}
	if id != tx.TxHash() {
		return chainhash.Hash{}, s.c.fail("sendrawtransaction", fmt.Errorf("%w: node returned txid %s for %s", chain.ErrLie, id, tx.TxHash()))
	}
	return id, nil
}

var _ chain.Source = (*Source)(nil)
