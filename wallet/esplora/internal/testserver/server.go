// Package testserver is an Esplora HTTP API server for tests: it serves a
// testchain.Chain on the loopback interface with the JSON shapes of Blockstream's
// esplora (electrs), its pagination and its HTTP errors, and can be told
// to misbehave.
package testserver

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
	"codeberg.org/hardfolio/hardfolio/wallet/internal/testchain"
)

// Page sizes of esplora.
const (
	ChainPage   = 25
	MempoolPage = 50
)

// Fault is a way for the server to misbehave.
type Fault int

// Faults. Each applies to every endpoint, or to those whose path contains
// one of the strings given to SetFault.
const (
	None Fault = iota
	// BadTx: /tx/:txid/hex returns another transaction.
	BadTx
	// ForeignHistory: /scripthash/:hash/txs lists a confirmed
	// transaction that does not touch the script.
	ForeignHistory
	// BadMerkle: /tx/:txid/merkle-proof returns a branch that leads
	// elsewhere.
	BadMerkle
	// WrongProofHeight: the merkle proof claims another height.
	WrongProofHeight
	// BadHeader: /block/:hash/header returns a header with another hash.
	BadHeader
	// WrongBlock: histories name the wrong block hash for confirmed
	// transactions (the hash of the block below).
	WrongBlock
	// Malformed: replies do not parse.
	Malformed
	// Hang: requests get no reply.
	Hang
	// CloseMidRequest: the server closes the connection.
	CloseMidRequest
	// ServerFault: replies are HTTP 503 with a message.
	ServerFault
)

// Server is a running test server.
type Server struct {
	hs  *http.Server
	ln  net.Listener
	net *chaincfg.Params

	mu      sync.Mutex
	ix      *testchain.Index
	fault   Fault
	faultOn []string
	reqs    map[string]int // by endpoint kind

	inFlight, maxInFlight atomic.Int64
	total                 atomic.Int64
	hang                  chan struct{}
	closeOnce             sync.Once
}

// Start serves c on 127.0.0.1 at a free port. net names the network for
// addresses in transaction JSON (regtest when nil).
func Start(c *testchain.Chain, params *chaincfg.Params) (*Server, error) {
	if params == nil {
		params = &chaincfg.RegressionNetParams
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c = c.Clone()
	s := &Server{ln: ln, net: params, ix: testchain.NewIndex(c), reqs: make(map[string]int), hang: make(chan struct{})}
	s.hs = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.hs.Serve(ln)
	return s, nil
}

// URL returns the base URL of the API.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// HostPort returns the listening address.
func (s *Server) HostPort() string { return s.ln.Addr().String() }

// Close stops the server.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.hang) })
	s.hs.Close()
}

// SetFault makes the server misbehave, on every endpoint or on those whose
// path contains one of paths. None restores good behaviour.
func (s *Server) SetFault(f Fault, paths ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault, s.faultOn = f, paths
}

func (s *Server) faultFor(path string) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faultOn) == 0 {
		return s.fault
	}
	for _, p := range s.faultOn {
		if strings.Contains(path, p) {
			return s.fault
		}
	}
	return None
}

// Requests returns the number of requests of a kind ("txs", "chain",
// "hex", "merkle-proof", "header", ...), or all with "".
func (s *Server) Requests(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if kind == "" {
		return int(s.total.Load())
	}
	return s.reqs[kind]
}

// MaxInFlight returns the most requests served at once.
func (s *Server) MaxInFlight() int { return int(s.maxInFlight.Load()) }

// ResetCounts zeroes the request counters.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = make(map[string]int)
	s.total.Store(0)
	s.maxInFlight.Store(0)
}

// History returns what the server lists for a script, oldest first.
func (s *Server) History(script []byte) []testchain.HistItem {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]testchain.HistItem(nil), s.ix.History(chain.ScriptHash(script))...)
}

// Tip returns the best height and hash.
func (s *Server) Tip() (int32, chainhash.Hash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.ix.Tip()
	return h, s.ix.Hashes[h]
}

// Mine confirms the mempool in a new block.
func (s *Server) Mine() *wire.MsgBlock {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.ix.Chain.Mine(testchain.MinerScript)
	s.ix = testchain.NewIndex(s.ix.Chain)
	return b
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxInFlight.Load()
		if n <= m || s.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	s.total.Add(1)
	// Let concurrent requests overlap, as over a network.
	time.Sleep(200 * time.Microsecond)

	path := strings.TrimSuffix(r.URL.Path, "/")
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	s.mu.Lock()
	s.reqs[kindOf(parts)]++
	s.mu.Unlock()

	fault := s.faultFor(path)
	switch fault {
	case Hang:
		select {
		case <-r.Context().Done():
		case <-s.hang:
		}
		return
	case CloseMidRequest:
		if hj, ok := w.(http.Hijacker); ok {
			if nc, _, err := hj.Hijack(); err == nil {
				nc.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	case Malformed:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"txid":"0000","status":{"confirmed":tru`)
		return
	case ServerFault:
		http.Error(w, "upstream bitcoind unavailable", http.StatusServiceUnavailable)
		return
	}
	s.route(w, r, parts, fault)
}

// kindOf names an endpoint for the counters.
func kindOf(parts []string) string {
	switch {
	case len(parts) >= 3 && parts[0] == "scripthash" && parts[2] == "txs" && len(parts) == 3:
		return "txs"
	case len(parts) >= 4 && parts[0] == "scripthash":
		return parts[3]
	case len(parts) == 3 && parts[0] == "tx":
		return parts[2]
	case len(parts) == 3 && parts[0] == "block":
		return parts[2]
	}
	return strings.Join(parts, "/")
}

func text(w http.ResponseWriter, s string) {
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, s)
}

func jsonReply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, parts []string, fault Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.ix
	get := r.Method == http.MethodGet
	switch {
	case get && len(parts) == 3 && parts[0] == "blocks" && parts[1] == "tip" && parts[2] == "height":
		text(w, strconv.Itoa(int(ix.Tip())))
	case get && len(parts) == 3 && parts[0] == "blocks" && parts[1] == "tip" && parts[2] == "hash":
		text(w, ix.Hashes[ix.Tip()].String())
	case get && len(parts) == 2 && parts[0] == "block-height":
		h, err := strconv.Atoi(parts[1])
		if err != nil || h < 0 || h > int(ix.Tip()) {
			http.Error(w, "Block not found", http.StatusNotFound)
			return
		}
		text(w, ix.Hashes[h].String())
	case get && len(parts) == 3 && parts[0] == "block" && parts[2] == "header":
		h, ok := heightOf(ix, parts[1])
		if !ok {
			http.Error(w, "Block not found", http.StatusNotFound)
			return
		}
		hdr := ix.Chain.Blocks[h].Header
		if fault == BadHeader {
			hdr.Nonce ^= 0x5a5a
		}
		text(w, testchain.HeaderHex(&hdr))
	case get && len(parts) == 2 && parts[0] == "block":
		h, ok := heightOf(ix, parts[1])
		if !ok {
			http.Error(w, "Block not found", http.StatusNotFound)
			return
		}
		b := ix.Chain.Blocks[h]
		jsonReply(w, map[string]any{
			"id": ix.Hashes[h].String(), "height": h, "version": b.Header.Version,
			"timestamp": b.Header.Timestamp.Unix(), "tx_count": len(b.Transactions),
			"merkle_root": b.Header.MerkleRoot.String(), "previousblockhash": b.Header.PrevBlock.String(),
			"nonce": b.Header.Nonce, "bits": b.Header.Bits,
		})
	case get && len(parts) >= 3 && parts[0] == "scripthash" && parts[2] == "txs":
		s.scripthashTxs(w, parts, fault)
	case get && len(parts) >= 2 && parts[0] == "tx":
		s.tx(w, parts, fault)
	case get && len(parts) == 1 && parts[0] == "fee-estimates":
		m := map[string]float64{}
		for t, rate := range ix.Chain.FeeRates {
			m[strconv.Itoa(t)] = rate
		}
		jsonReply(w, m)
	case r.Method == http.MethodPost && len(parts) == 1 && parts[0] == "tx":
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		tx, err := chain.ParseTxHex(strings.TrimSpace(string(body)))
		if err != nil {
			http.Error(w, `sendrawtransaction RPC error: {"code":-22,"message":"TX decode failed"}`, http.StatusBadRequest)
			return
		}
		if err := ix.Accept(tx); err != nil {
			http.Error(w, fmt.Sprintf(`sendrawtransaction RPC error: {"code":-26,"message":%q}`, err.Error()), http.StatusBadRequest)
			return
		}
		text(w, tx.TxHash().String())
	default:
		http.Error(w, "Not Found", http.StatusNotFound)
	}
}

// heightOf finds a block by hash.
func heightOf(ix *testchain.Index, hash string) (int, bool) {
	for h, bh := range ix.Hashes {
		if bh.String() == hash {
			return h, true
		}
	}
	return 0, false
}

// scripthashTxs serves /scripthash/:hash/txs[/chain[/:last_seen]|/mempool],
// newest first: up to 50 mempool transactions and 25 confirmed ones.
func (s *Server) scripthashTxs(w http.ResponseWriter, parts []string, fault Fault) {
	ix := s.ix
	sh := parts[1]
	if len(sh) != 64 {
		http.Error(w, "Invalid scripthash", http.StatusBadRequest)
		return
	}
	hist := ix.History(sh)
	var mempool, confirmed []testchain.HistItem
	for i := len(hist) - 1; i >= 0; i-- {
		if hist[i].Height > 0 {
			confirmed = append(confirmed, hist[i])
		} else {
			mempool = append(mempool, hist[i])
		}
	}
	if fault == ForeignHistory {
		if id, h, ok := ix.Foreign(sh); ok {
			confirmed = append([]testchain.HistItem{{TxID: id, Height: h}}, confirmed...)
		}
	}
	var out []testchain.HistItem
	switch {
	case len(parts) == 3: // txs
		out = append(out, mempool[:min(len(mempool), MempoolPage)]...)
		out = append(out, confirmed[:min(len(confirmed), ChainPage)]...)
	case len(parts) == 4 && parts[3] == "mempool":
		out = mempool[:min(len(mempool), MempoolPage)]
	case parts[3] == "chain" && len(parts) <= 5:
		start := 0
		if len(parts) == 5 {
			start = -1
			for i, e := range confirmed {
				if e.TxID.String() == parts[4] {
					start = i + 1
				}
			}
			if start < 0 {
				// electrs answers an unknown last_seen_txid with an
				// empty page.
				start = len(confirmed)
			}
		}
		out = confirmed[start:min(len(confirmed), start+ChainPage)]
	default:
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	list := make([]map[string]any, 0, len(out))
	for _, e := range out {
		m := s.txJSON(ix.Txs[e.TxID])
		if fault == WrongBlock && e.Height > 1 {
			m["status"].(map[string]any)["block_hash"] = ix.Hashes[e.Height-1].String()
		}
		list = append(list, m)
	}
	jsonReply(w, list)
}

// txJSON renders a transaction as esplora does.
func (s *Server) txJSON(info *testchain.TxInfo) map[string]any {
	ix := s.ix
	tx := info.Tx
	vin := make([]map[string]any, len(tx.TxIn))
	var in int64
	for i, txin := range tx.TxIn {
		coinbase := txin.PreviousOutPoint.Index == wire.MaxPrevOutIndex
		wit := make([]string, len(txin.Witness))
		for j, w := range txin.Witness {
			wit[j] = fmt.Sprintf("%x", w)
		}
		m := map[string]any{
			"txid":          txin.PreviousOutPoint.Hash.String(),
			"vout":          txin.PreviousOutPoint.Index,
			"prevout":       nil,
			"scriptsig":     fmt.Sprintf("%x", txin.SignatureScript),
			"scriptsig_asm": "",
			"is_coinbase":   coinbase,
			"sequence":      txin.Sequence,
		}
		if len(wit) > 0 {
			m["witness"] = wit
		}
		if p, ok := ix.Txs[txin.PreviousOutPoint.Hash]; ok && !coinbase && int(txin.PreviousOutPoint.Index) < len(p.Tx.TxOut) {
			out := p.Tx.TxOut[txin.PreviousOutPoint.Index]
			m["prevout"] = s.outJSON(out)
			in += out.Value
		}
		vin[i] = m
	}
	vout := make([]map[string]any, len(tx.TxOut))
	var out int64
	for i, o := range tx.TxOut {
		vout[i] = s.outJSON(o)
		out += o.Value
	}
	status := map[string]any{"confirmed": info.Height > 0}
	if info.Height > 0 {
		b := ix.Chain.Blocks[info.Height]
		status["block_height"] = info.Height
		status["block_hash"] = ix.Hashes[info.Height].String()
		status["block_time"] = b.Header.Timestamp.Unix()
	}
	fee := int64(0)
	if in > 0 {
		fee = in - out
	}
	return map[string]any{
		"txid":     tx.TxHash().String(),
		"version":  tx.Version,
		"locktime": tx.LockTime,
		"vin":      vin,
		"vout":     vout,
		"size":     tx.SerializeSize(),
		"weight":   tx.SerializeSizeStripped()*3 + tx.SerializeSize(),
		"fee":      fee,
		"status":   status,
	}
}

func (s *Server) outJSON(o *wire.TxOut) map[string]any {
	m := map[string]any{
		"scriptpubkey":      fmt.Sprintf("%x", o.PkScript),
		"scriptpubkey_asm":  "",
		"scriptpubkey_type": scriptType(o.PkScript),
		"value":             o.Value,
	}
	if asm, err := txscript.DisasmString(o.PkScript); err == nil {
		m["scriptpubkey_asm"] = asm
	}
	if _, addrs, _, err := txscript.ExtractPkScriptAddrs(o.PkScript, s.net); err == nil && len(addrs) == 1 {
		m["scriptpubkey_address"] = addrs[0].EncodeAddress()
	}
	return m
}

func scriptType(script []byte) string {
	switch txscript.GetScriptClass(script) {
	case txscript.WitnessV0PubKeyHashTy:
		return "v0_p2wpkh"
	case txscript.WitnessV0ScriptHashTy:
		return "v0_p2wsh"
	case txscript.WitnessV1TaprootTy:
		return "v1_p2tr"
	case txscript.PubKeyHashTy:
		return "p2pkh"
	case txscript.ScriptHashTy:
		return "p2sh"
	case txscript.NullDataTy:
		return "op_return"
	}
	return "unknown"
}

// tx serves /tx/:txid[/hex|/raw|/status|/merkle-proof].
func (s *Server) tx(w http.ResponseWriter, parts []string, fault Fault) {
	ix := s.ix
	id, err := chainhash.NewHashFromStr(parts[1])
	if err != nil || len(parts[1]) != 64 {
		http.Error(w, "Invalid hex string", http.StatusBadRequest)
		return
	}
	info, ok := ix.Txs[*id]
	if !ok {
		http.Error(w, "Transaction not found", http.StatusNotFound)
		return
	}
	if len(parts) == 2 {
		jsonReply(w, s.txJSON(info))
		return
	}
	switch parts[2] {
	case "hex":
		tx := info.Tx
		if fault == BadTx {
			tx = tx.Copy()
			tx.LockTime ^= 1
		}
		text(w, testchain.TxHex(tx))
	case "status":
		jsonReply(w, s.txJSON(info)["status"])
	case "merkle-proof":
		if info.Height <= 0 {
			http.Error(w, "Transaction not found", http.StatusNotFound)
			return
		}
		branch := ix.Branch(info.Height, info.Pos)
		strs := make([]string, len(branch))
		for i, b := range branch {
			strs[i] = b.String()
		}
		height := info.Height
		switch fault {
		case BadMerkle:
			if len(strs) > 0 {
				strs[0] = chainhash.DoubleHashH([]byte(strs[0])).String()
			} else {
				strs = []string{chainhash.DoubleHashH([]byte(parts[1])).String()}
			}
		case WrongProofHeight:
			height++
		}
		jsonReply(w, map[string]any{"block_height": height, "merkle": strs, "pos": info.Pos})
	default:
		http.Error(w, "Not Found", http.StatusNotFound)
	}
}
