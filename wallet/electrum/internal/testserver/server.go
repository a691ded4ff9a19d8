// Package testserver is an Electrum protocol server for tests: it serves a
// testchain.Chain over real sockets on the loopback interface, plain or
// TLS, with the reply shapes of ElectrumX (protocol 1.4), and can be told
// to misbehave.
package testserver

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
	"codeberg.org/hardfolio/hardfolio/wallet/internal/testchain"
)

// Fault is a way for the server to misbehave.
type Fault int

// Faults. Each applies to the methods given to SetFault, or to every
// method but server.version when none are given.
const (
	None Fault = iota
	// BadTx: blockchain.transaction.get returns another transaction
	// than the one asked for.
	BadTx
	// ForeignHistory: get_history adds a confirmed transaction that
	// neither pays to nor spends from the script.
	ForeignHistory
	// BadMerkle: get_merkle returns a branch that does not lead to the
	// block's merkle root.
	BadMerkle
	// WrongProofHeight: get_merkle claims another block height.
	WrongProofHeight
	// BadHeaderChain: block.header returns headers whose previous-block
	// field does not match the header below (merkle roots intact).
	BadHeaderChain
	// Malformed: replies are not JSON.
	Malformed
	// BadShape: replies are JSON of the wrong shape.
	BadShape
	// Hang: requests get no reply.
	Hang
	// CloseMidRequest: the server closes the connection when a request
	// arrives.
	CloseMidRequest
	// RPCError: requests get a JSON-RPC error object.
	RPCError
)

// Options configure a server.
type Options struct {
	// TLS makes the server speak TLS with Cert (or a fresh self-signed
	// certificate for 127.0.0.1 and localhost).
	TLS  bool
	Cert *tls.Certificate
	// Protocol15 answers get_history in the protocol 1.5 dictionary form.
	Protocol15 bool
}

// Server is a running test server.
type Server struct {
	ln   net.Listener
	opts Options
	cert *tls.Certificate

	mu       sync.Mutex
	ix       *testchain.Index
	fault    Fault
	faultOn  map[string]bool
	sessions map[*session]bool
	closed   bool

	lines     atomic.Int64 // request lines after the handshake
	calls     map[string]int
	linesWith map[string]int // request lines carrying a method
	maxBatch  int
	conns     atomic.Int64
	wg        sync.WaitGroup
	hangUntil chan struct{}
}

// Start serves c on 127.0.0.1 at a free port.
func Start(c *testchain.Chain, opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	// The server's mempool grows with broadcasts: work on a copy.
	c = c.Clone()
	s := &Server{
		ln:        ln,
		opts:      opts,
		ix:        testchain.NewIndex(c),
		sessions:  make(map[*session]bool),
		calls:     make(map[string]int),
		linesWith: make(map[string]int),
		hangUntil: make(chan struct{}),
	}
	if opts.TLS {
		s.cert = opts.Cert
		if s.cert == nil {
			cert, err := SelfSigned()
			if err != nil {
				ln.Close()
				return nil, err
			}
			s.cert = &cert
		}
	}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// SelfSigned makes a self-signed certificate for 127.0.0.1 and localhost,
// as personal servers have.
func SelfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "electrum test server"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// Fingerprint is the hex SHA-256 of the server's certificate.
func (s *Server) Fingerprint() string {
	if s.cert == nil {
		return ""
	}
	sum := sha256.Sum256(s.cert.Certificate[0])
	return hex.EncodeToString(sum[:])
}

// HostPort returns the listening address.
func (s *Server) HostPort() string { return s.ln.Addr().String() }

// Addr returns the address in the client's notation: tcp:// or ssl://.
func (s *Server) Addr() string {
	if s.opts.TLS {
		return "ssl://" + s.HostPort()
	}
	return "tcp://" + s.HostPort()
}

// SetFault makes the server misbehave in the given way for methods (all
// but the handshake when none are given). None restores good behaviour.
func (s *Server) SetFault(f Fault, methods ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
	s.faultOn = nil
	if len(methods) > 0 {
		s.faultOn = make(map[string]bool)
		for _, m := range methods {
			s.faultOn[m] = true
		}
	}
}

// faultFor returns the fault that applies to method.
func (s *Server) faultFor(method string) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if method == "server.version" || s.fault == None {
		return None
	}
	if s.faultOn != nil && !s.faultOn[method] {
		return None
	}
	return s.fault
}

// Lines returns the number of request lines (single requests or batches,
// each one round trip) received after the version handshakes.
func (s *Server) Lines() int64 { return s.lines.Load() }

// Calls returns how many times method was called.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// LinesWith returns how many request lines (round trips) carried at least
// one call of method.
func (s *Server) LinesWith(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.linesWith[method]
}

// MaxBatch returns the largest batch received.
func (s *Server) MaxBatch() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxBatch
}

// Connections returns the number of connections accepted.
func (s *Server) Connections() int64 { return s.conns.Load() }

// ResetCounts zeroes Lines, Calls and MaxBatch.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines.Store(0)
	s.calls = make(map[string]int)
	s.linesWith = make(map[string]int)
	s.maxBatch = 0
}

// History returns what the server would list for a script.
func (s *Server) History(script []byte) []testchain.HistItem {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]testchain.HistItem(nil), s.ix.History(chain.ScriptHash(script))...)
}

// Tip returns the best height and block hash.
func (s *Server) Tip() (int32, chainhash.Hash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.ix.Tip()
	return h, s.ix.Hashes[h]
}

// Mine confirms the mempool in a new block and notifies subscribers.
func (s *Server) Mine() *wire.MsgBlock {
	s.mu.Lock()
	old := make(map[*session]map[string]string)
	for ss := range s.sessions {
		old[ss] = ss.statuses(s.ix)
	}
	b := s.ix.Chain.Mine(testchain.MinerScript)
	s.ix = testchain.NewIndex(s.ix.Chain)
	var notes []func()
	for ss := range s.sessions {
		ss := ss
		if ss.headers.Load() {
			msg := notification("blockchain.headers.subscribe", []any{s.headerInfo(s.ix.Tip())})
			notes = append(notes, func() { ss.send(msg) })
		}
		for sh, st := range ss.statuses(s.ix) {
			if old[ss][sh] != st {
				msg := notification("blockchain.scripthash.subscribe", []any{sh, nullable(st)})
				notes = append(notes, func() { ss.send(msg) })
			}
		}
	}
	s.mu.Unlock()
	for _, n := range notes {
		n()
	}
	return b
}

// Close stops the server and drops every connection.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.hangUntil)
	for ss := range s.sessions {
		ss.nc.Close()
	}
	s.mu.Unlock()
	s.ln.Close()
	s.wg.Wait()
}

// DropConnections closes every client connection, as a restarting server
// would.
func (s *Server) DropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ss := range s.sessions {
		ss.nc.Close()
	}
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.conns.Add(1)
		if s.cert != nil {
			nc = tls.Server(nc, &tls.Config{Certificates: []tls.Certificate{*s.cert}})
		}
		ss := &session{srv: s, nc: nc, subs: make(map[string]bool)}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.sessions[ss] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			ss.serve()
			s.mu.Lock()
			delete(s.sessions, ss)
			s.mu.Unlock()
		}()
	}
}

// session is one client connection.
type session struct {
	srv     *Server
	nc      net.Conn
	wmu     sync.Mutex
	headers atomic.Bool
	smu     sync.Mutex
	subs    map[string]bool
}

func (ss *session) send(line []byte) {
	ss.wmu.Lock()
	defer ss.wmu.Unlock()
	ss.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	ss.nc.Write(append(line, '\n'))
}

// statuses returns the status of each subscribed script hash.
func (ss *session) statuses(ix *testchain.Index) map[string]string {
	ss.smu.Lock()
	defer ss.smu.Unlock()
	out := make(map[string]string, len(ss.subs))
	for sh := range ss.subs {
		out[sh] = status(ix.History(sh))
	}
	return out
}

type rpcRequest struct {
	JSONRPC string            `json:"jsonrpc"`
	ID      json.RawMessage   `json:"id"`
	Method  string            `json:"method"`
	Params  []json.RawMessage `json:"params"`
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type rpcResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  any             `json:"result,omitempty"`
	Error   *rpcError       `json:"error,omitempty"`
}

// MarshalJSON writes "result": null where a result is null, as servers do.
func (r rpcResponse) MarshalJSON() ([]byte, error) {
	m := map[string]any{"jsonrpc": "2.0", "id": r.ID}
	if r.Error != nil {
		m["error"] = r.Error
	} else {
		m["result"] = r.Result
	}
	return json.Marshal(m)
}

func notification(method string, params []any) []byte {
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
	return b
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (ss *session) serve() {
	defer ss.nc.Close()
	r := bufio.NewReaderSize(ss.nc, 1<<16)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var reqs []rpcRequest
		batch := line[0] == '['
		if batch {
			err = json.Unmarshal(line, &reqs)
		} else {
			var one rpcRequest
			err = json.Unmarshal(line, &one)
			reqs = []rpcRequest{one}
		}
		if err != nil {
			ss.send([]byte(`{"jsonrpc":"2.0","error":{"code":-32700,"message":"invalid JSON"},"id":null}`))
			continue
		}
		srv := ss.srv
		if !(len(reqs) == 1 && reqs[0].Method == "server.version") {
			srv.lines.Add(1)
		}
		srv.mu.Lock()
		srv.maxBatch = max(srv.maxBatch, len(reqs))
		carried := make(map[string]bool)
		for _, q := range reqs {
			srv.calls[q.Method]++
			if !carried[q.Method] {
				carried[q.Method] = true
				srv.linesWith[q.Method]++
			}
		}
		srv.mu.Unlock()

		// Faults that take over the whole line.
		var fault Fault
		for _, q := range reqs {
			if f := srv.faultFor(q.Method); f != None {
				fault = f
				break
			}
		}
		switch fault {
		case Hang:
			<-srv.hangUntil
			return
		case CloseMidRequest:
			return
		case Malformed:
			ss.send([]byte(`{"jsonrpc":"2.0","id":` + string(reqs[0].ID) + `,"result":[{"tx_hash":`))
			continue
		}

		replies := make([]rpcResponse, len(reqs))
		for i, q := range reqs {
			res, rerr := ss.handle(q)
			replies[i] = rpcResponse{JSONRPC: "2.0", ID: q.ID, Result: res, Error: rerr}
		}
		var out []byte
		if batch {
			// Real servers need not keep the order of a batch.
			for i, j := 0, len(replies)-1; i < j; i, j = i+1, j-1 {
				replies[i], replies[j] = replies[j], replies[i]
			}
			out, _ = json.Marshal(replies)
		} else {
			out, _ = json.Marshal(replies[0])
		}
		ss.send(out)
	}
}

func badParams(msg string) *rpcError { return &rpcError{Code: -32602, Message: msg} }

func paramString(q rpcRequest, i int) (string, bool) {
	if i >= len(q.Params) {
		return "", false
	}
	var s string
	if json.Unmarshal(q.Params[i], &s) != nil {
		return "", false
	}
	return s, true
}

func paramInt(q rpcRequest, i int) (int, bool) {
	if i >= len(q.Params) {
		return 0, false
	}
	var n int
	if json.Unmarshal(q.Params[i], &n) != nil {
		return 0, false
	}
	return n, true
}

func (s *Server) headerInfo(height int32) map[string]any {
	return map[string]any{"height": height, "hex": testchain.HeaderHex(&s.ix.Chain.Blocks[height].Header)}
}

// status is the protocol 1.4 status of a history: the SHA-256 of the
// concatenated "txid:height:" strings, or empty for no history.
func status(h []testchain.HistItem) string {
	if len(h) == 0 {
		return ""
	}
	var b strings.Builder
	for _, e := range h {
		fmt.Fprintf(&b, "%s:%d:", e.TxID, e.Height)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// handle answers one request.
func (ss *session) handle(q rpcRequest) (any, *rpcError) {
	srv := ss.srv
	fault := srv.faultFor(q.Method)
	if fault == RPCError {
		return nil, &rpcError{Code: 2, Message: "daemon error: out of coffee"}
	}
	if fault == BadShape {
		return map[string]any{"surprise": []int{1, 2, 3}}, nil
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	ix := srv.ix
	switch q.Method {
	case "server.version":
		ver, _ := paramString(q, 1)
		if len(q.Params) > 1 && ver == "" {
			var rng []string
			if json.Unmarshal(q.Params[1], &rng) == nil && len(rng) == 2 {
				ver = rng[1]
			}
		}
		if ver != "" && ver != "1.4" && !strings.HasPrefix(ver, "1.4") {
			return nil, &rpcError{Code: 1, Message: "unsupported protocol version: " + ver}
		}
		return []string{"TestServer 1.0", "1.4"}, nil
	case "server.ping":
		return nil, nil
	case "server.banner":
		return "test server", nil
	case "server.features":
		return map[string]any{
			"genesis_hash":   ix.Hashes[0].String(),
			"hosts":          map[string]any{},
			"protocol_max":   "1.4",
			"protocol_min":   "1.4",
			"pruning":        nil,
			"server_version": "TestServer 1.0",
			"hash_function":  "sha256",
		}, nil
	case "blockchain.headers.subscribe":
		ss.headers.Store(true)
		return srv.headerInfo(ix.Tip()), nil
	case "blockchain.block.header":
		h, ok := paramInt(q, 0)
		if !ok || h < 0 || h > int(ix.Tip()) {
			return nil, badParams(fmt.Sprintf("height %d out of range", h))
		}
		hdr := ix.Chain.Blocks[h].Header
		if fault == BadHeaderChain {
			hdr.PrevBlock[0] ^= 0xff
			hdr.PrevBlock[31] ^= 0x01
		}
		return testchain.HeaderHex(&hdr), nil
	case "blockchain.block.headers":
		start, ok1 := paramInt(q, 0)
		count, ok2 := paramInt(q, 1)
		if !ok1 || !ok2 || start < 0 || count < 0 {
			return nil, badParams("bad range")
		}
		var hexs strings.Builder
		n := 0
		for h := start; h <= int(ix.Tip()) && n < count && n < 2016; h++ {
			hexs.WriteString(testchain.HeaderHex(&ix.Chain.Blocks[h].Header))
			n++
		}
		return map[string]any{"count": n, "hex": hexs.String(), "max": 2016}, nil
	case "blockchain.scripthash.get_history":
		sh, ok := paramString(q, 0)
		if !ok || len(sh) != 64 {
			return nil, badParams("invalid script hash")
		}
		hist := ix.History(sh)
		list := make([]map[string]any, 0, len(hist)+1)
		for _, e := range hist {
			m := map[string]any{"tx_hash": e.TxID.String(), "height": e.Height}
			if e.Height <= 0 {
				m["fee"] = e.Fee
			}
			list = append(list, m)
		}
		if fault == ForeignHistory {
			if id, h, ok := ix.Foreign(sh); ok {
				list = append([]map[string]any{{"tx_hash": id.String(), "height": h}}, list...)
			}
		}
		if srv.opts.Protocol15 {
			return map[string]any{"from_height": 0, "to_height": -1, "history": list}, nil
		}
		return list, nil
	case "blockchain.scripthash.get_mempool":
		sh, _ := paramString(q, 0)
		list := []map[string]any{}
		for _, e := range ix.History(sh) {
			if e.Height <= 0 {
				list = append(list, map[string]any{"tx_hash": e.TxID.String(), "height": e.Height, "fee": e.Fee})
			}
		}
		return list, nil
	case "blockchain.scripthash.subscribe":
		sh, ok := paramString(q, 0)
		if !ok || len(sh) != 64 {
			return nil, badParams("invalid script hash")
		}
		ss.smu.Lock()
		ss.subs[sh] = true
		ss.smu.Unlock()
		return nullable(status(ix.History(sh))), nil
	case "blockchain.transaction.get":
		txid, _ := paramString(q, 0)
		id, err := chainhash.NewHashFromStr(txid)
		if err != nil || len(txid) != 64 {
			return nil, badParams("invalid tx hash")
		}
		info, ok := ix.Txs[*id]
		if !ok {
			return nil, &rpcError{Code: 2, Message: "daemon error: DaemonError({'code': -5, 'message': 'No such mempool or blockchain transaction. Use gettransaction for wallet transactions.'})"}
		}
		tx := info.Tx
		if fault == BadTx {
			tx = tx.Copy()
			tx.LockTime ^= 1
		}
		return testchain.TxHex(tx), nil
	case "blockchain.transaction.get_merkle":
		txid, _ := paramString(q, 0)
		id, err := chainhash.NewHashFromStr(txid)
		if err != nil || len(txid) != 64 {
			return nil, badParams("invalid tx hash")
		}
		info, ok := ix.Txs[*id]
		if !ok || info.Height <= 0 {
			return nil, &rpcError{Code: 1, Message: "tx " + txid + " not in block"}
		}
		branch := ix.Branch(info.Height, info.Pos)
		strs := make([]string, len(branch))
		for i, b := range branch {
			strs[i] = b.String()
		}
		pos, height := info.Pos, info.Height
		switch fault {
		case BadMerkle:
			if len(strs) > 0 {
				strs[0] = chainhash.DoubleHashH([]byte(strs[0])).String()
			} else {
				strs = []string{chainhash.DoubleHashH([]byte(txid)).String()}
			}
		case WrongProofHeight:
			height++
		}
		return map[string]any{"block_height": height, "merkle": strs, "pos": pos}, nil
	case "blockchain.estimatefee":
		target, ok := paramInt(q, 0)
		if !ok {
			return nil, badParams("bad target")
		}
		rate, ok := ix.Chain.FeeRate(target)
		if !ok {
			return -1, nil
		}
		return rate / 1e5, nil
	case "blockchain.relayfee":
		return 1e-05, nil
	case "blockchain.transaction.broadcast":
		raw, _ := paramString(q, 0)
		tx, err := chain.ParseTxHex(raw)
		if err != nil {
			return nil, &rpcError{Code: 1, Message: "the transaction was rejected by network rules.\n\nTX decode failed\n[" + raw + "]"}
		}
		if err := ix.Accept(tx); err != nil {
			return nil, &rpcError{Code: 1, Message: "the transaction was rejected by network rules.\n\n" + err.Error() + "\n[" + raw + "]"}
		}
		return tx.TxHash().String(), nil
	}
	return nil, &rpcError{Code: -32601, Message: "unknown method \"" + q.Method + "\""}
}
