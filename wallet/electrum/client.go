package electrum

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
)

// ProtocolVersion is the Electrum protocol version the client asks for.
const ProtocolVersion = "1.4"

// Defaults of Config.
const (
	DefaultTimeout   = 30 * time.Second
	DefaultKeepAlive = 60 * time.Second
	DefaultBatchSize = 100
	DefaultMaxLine   = 32 << 20
)

// Config says how to reach an Electrum server.
type Config struct {
	// Server is the server's address, in any form ParseServer accepts,
	// e.g. "ssl://electrum.local:50002" or "tcp://abc...xyz.onion:50001".
	Server string

	// Pins keeps TLS certificate fingerprints pinned on first use. When
	// nil, the client pins in memory: the first certificate seen is
	// trusted for the life of the Client, across reconnections.
	Pins PinStore

	// Proxy, when set, is the SOCKS5 proxy (Tor) every connection goes
	// through. Required for .onion servers.
	Proxy *Proxy

	// Params, when set, is the network the wallet is on: the server's
	// genesis block must match it, and every block header the client
	// uses must carry valid proof of work no easier than the network's
	// limit (except on regtest, whose blocks carry no meaningful work).
	Params *chaincfg.Params

	// Timeout bounds each call (dialling included) when the caller's
	// context has no earlier deadline. Default 30s; Tor users may want
	// more.
	Timeout time.Duration

	// KeepAlive is the idle time after which the client pings the
	// server (servers drop idle clients after some minutes). Default 60s;
	// negative disables the pings.
	KeepAlive time.Duration

	// BatchSize is the number of requests sent in one JSON-RPC batch
	// (one round trip). Default 100.
	BatchSize int

	// ClientName is sent to the server in the version handshake.
	// Default "hardfolio".
	ClientName string

	// MaxLine bounds one reply line from the server. Default 32 MiB.
	MaxLine int
}

// Notification is something a subscription reported. Treat any
// notification as "something changed": the channel drops notifications
// when the reader falls behind, and a reconnection means anything may have
// happened meanwhile.
type Notification struct {
	// Tip is set when the server reports a new best block.
	Tip *chain.BlockRef
	// ScriptHash and Status are set when the history of a subscribed
	// script changed; Status is the server's new status hash (empty for
	// an empty history).
	ScriptHash string
	Status     string
	// Reconnected is set after the client re-established a dropped
	// connection and renewed its subscriptions.
	Reconnected bool
}

// ScriptHash returns the script hash the server knows an output script by,
// as in Notification.ScriptHash (see chain.ScriptHash).
func ScriptHash(script []byte) string { return chain.ScriptHash(script) }

// Client is a connection to one Electrum server (ElectrumX, Fulcrum,
// electrs). It implements chain.Source and is safe for concurrent use:
// concurrent calls share one connection, multiplexed by request id. A call
// that finds the connection closed reconnects once.
type Client struct {
	cfg    Config
	addr   string
	useTLS bool
	name   string // "electrum host:port", for errors
	pins   PinStore

	notes chan Notification

	dialMu sync.Mutex // serializes (re)connecting

	mu         sync.Mutex
	cur        *conn
	closed     bool
	version    string // server software, from the handshake
	subHeaders bool
	subScripts map[string]bool
	lines      int64 // request lines of connections already closed

	cache  *chain.TxCache
	proven chain.ProvenSet

	stop chan struct{}
	wg   sync.WaitGroup
}

var _ chain.Source = (*Client)(nil)

// ErrClosed is returned by calls on a closed Client.
var ErrClosed = errors.New("client closed")

// Dial connects to the server described by cfg and performs the protocol
// handshake, so that an unreachable server, a changed certificate or a
// server on another network is reported at once.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	if _, err := c.conn(ctx); err != nil {
		c.Close()
		return nil, c.wrap("connect", err, ctx)
	}
	return c, nil
}

// New returns a client that connects on first use.
func New(cfg Config) (*Client, error) {
	addr, useTLS, err := ParseServer(cfg.Server)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = DefaultKeepAlive
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.ClientName == "" {
		cfg.ClientName = "hardfolio"
	}
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = DefaultMaxLine
	}
	host, _, _ := net.SplitHostPort(addr)
	if isOnion(host) && (cfg.Proxy == nil || cfg.Proxy.Addr == "") {
		return nil, &chain.ServerError{Server: "electrum " + addr, Op: "connect", Err: ErrOnionNeedsProxy}
	}
	c := &Client{
		cfg:        cfg,
		addr:       addr,
		useTLS:     useTLS,
		name:       "electrum " + addr,
		pins:       cfg.Pins,
		notes:      make(chan Notification, 64),
		subScripts: make(map[string]bool),
		cache:      chain.NewTxCache(50000),
		stop:       make(chan struct{}),
	}
	if c.pins == nil {
		c.pins = new(MemPins)
	}
	if cfg.KeepAlive > 0 {
		c.wg.Add(1)
		go c.keepAlive()
	}
	return c, nil
}

// Server returns the address the client talks to, as "electrum host:port".
func (c *Client) Server() string { return c.name }

// ServerVersion returns the server software reported in the handshake,
// e.g. "ElectrumX 1.16.0" or "electrs/0.10.0", once connected.
func (c *Client) ServerVersion() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version
}

// RoundTrips returns how many request lines (single requests or batches,
// each one round trip) the client has sent since it was created.
func (c *Client) RoundTrips() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.lines
	if c.cur != nil {
		n += c.cur.lines.Load()
	}
	return n
}

// Notifications returns the channel on which subscription notifications
// arrive (see Tip and Subscribe). It is closed by Close.
func (c *Client) Notifications() <-chan Notification { return c.notes }

// Close ends the connection and stops the keep-alive pings.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	cur := c.cur
	c.mu.Unlock()
	close(c.stop)
	if cur != nil {
		cur.close(&connError{ErrClosed})
	}
	c.wg.Wait()
	// Hold dialMu so that no handshake in flight can notify after the
	// channel is closed.
	c.dialMu.Lock()
	c.mu.Lock()
	close(c.notes)
	c.mu.Unlock()
	c.dialMu.Unlock()
	return nil
}

// withTimeout applies Config.Timeout to ctx.
func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return chain.WithTimeout(ctx, c.cfg.Timeout)
}

// wrap names the server and operation in err. A deadline that was the
// client's own timeout, not the caller's, says so.
func (c *Client) wrap(op string, err error, ctx context.Context) error {
	return chain.WrapServer(c.name, op, err)
}

// conn returns the live connection, connecting when there is none.
func (c *Client) conn(ctx context.Context) (*conn, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	if c.cur != nil && c.cur.alive() {
		cur := c.cur
		c.mu.Unlock()
		return cur, nil
	}
	c.mu.Unlock()

	c.dialMu.Lock()
	defer c.dialMu.Unlock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	if c.cur != nil && c.cur.alive() {
		cur := c.cur
		c.mu.Unlock()
		return cur, nil
	}
	reconnect := c.cur != nil
	if c.cur != nil {
		c.lines += c.cur.lines.Load()
		c.cur = nil
	}
	c.mu.Unlock()

	cn, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		cn.close(&connError{ErrClosed})
		return nil, ErrClosed
	}
	c.cur = cn
	c.mu.Unlock()
	if reconnect && c.subscribed() {
		c.notify(Notification{Reconnected: true})
	}
	return cn, nil
}

// subscribed reports whether any subscription is in force.
func (c *Client) subscribed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.subHeaders || len(c.subScripts) > 0
}

// connect dials, wraps in TLS, performs the version handshake, checks the
// network and renews subscriptions.
func (c *Client) connect(ctx context.Context) (*conn, error) {
	nc, err := dialTCP(ctx, c.addr, c.cfg.Proxy)
	if err != nil {
		return nil, err
	}
	if c.useTLS {
		nc, err = tlsClient(ctx, nc, c.addr, c.pins)
		if err != nil {
			return nil, err
		}
	}
	cn := newConn(nc, c.cfg.MaxLine, c.onNotify)
	fail := func(op string, err error) (*conn, error) {
		cn.close(&connError{err})
		return nil, &chain.ServerError{Server: c.name, Op: op, Err: err}
	}

	// The version handshake must be the first message.
	res, err := cn.call(ctx, []request{{Method: "server.version", Params: []any{c.cfg.ClientName, ProtocolVersion}}})
	if err != nil {
		return fail("server.version", err)
	}
	if res[0].err != nil {
		return fail("server.version", fmt.Errorf("server does not speak protocol %s: %w", ProtocolVersion, res[0].err))
	}
	var ver []string
	if err := json.Unmarshal(res[0].result, &ver); err != nil || len(ver) != 2 {
		return fail("server.version", fmt.Errorf("%w: version reply %s", chain.ErrMalformed, chain.Truncate(string(res[0].result), 100)))
	}
	if ver[1] != ProtocolVersion {
		return fail("server.version", fmt.Errorf("server negotiated protocol %q, want %s", ver[1], ProtocolVersion))
	}
	c.mu.Lock()
	c.version = ver[0]
	c.mu.Unlock()

	if c.cfg.Params != nil {
		res, err := cn.call(ctx, []request{{Method: "server.features"}})
		if err != nil {
			return fail("server.features", err)
		}
		if res[0].err != nil {
			return fail("server.features", res[0].err)
		}
		var f struct {
			Genesis string `json:"genesis_hash"`
		}
		if err := json.Unmarshal(res[0].result, &f); err != nil {
			return fail("server.features", fmt.Errorf("%w: %v", chain.ErrMalformed, err))
		}
		if want := c.cfg.Params.GenesisHash.String(); f.Genesis != want {
			return fail("server.features", fmt.Errorf("server is on another network: genesis block %s, want %s (%s)",
				chain.Truncate(f.Genesis, 64), want, c.cfg.Params.Name))
		}
	}

	// Renew subscriptions after a reconnection.
	c.mu.Lock()
	var reqs []request
	if c.subHeaders {
		reqs = append(reqs, request{Method: "blockchain.headers.subscribe"})
	}
	for sh := range c.subScripts {
		reqs = append(reqs, request{Method: "blockchain.scripthash.subscribe", Params: []any{sh}})
	}
	c.mu.Unlock()
	for len(reqs) > 0 {
		n := min(len(reqs), c.cfg.BatchSize)
		res, err := cn.call(ctx, reqs[:n])
		if err != nil {
			return fail("resubscribe", err)
		}
		for _, r := range res {
			if r.err != nil {
				return fail("resubscribe", r.err)
			}
		}
		reqs = reqs[n:]
	}
	return cn, nil
}

// call sends reqs in one line and returns the replies, reconnecting and
// retrying once when the connection turns out to be closed.
func (c *Client) call(ctx context.Context, reqs []request) ([]response, error) {
	for attempt := 0; ; attempt++ {
		cn, err := c.conn(ctx)
		if err != nil {
			return nil, err
		}
		res, err := cn.call(ctx, reqs)
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if attempt == 0 && isConnError(err) && !errors.Is(err, ErrClosed) {
			continue
		}
		return nil, err
	}
}

// do calls one method and decodes its result into out.
func (c *Client) do(ctx context.Context, method string, params []any, out any) error {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	res, err := c.call(ctx, []request{{Method: method, Params: params}})
	if err != nil {
		return c.wrap(method, err, ctx)
	}
	if res[0].err != nil {
		return c.wrap(method, res[0].err, ctx)
	}
	if out != nil {
		if err := json.Unmarshal(res[0].result, out); err != nil {
			return c.wrap(method, fmt.Errorf("%w: %v in %s", chain.ErrMalformed, err, chain.Truncate(string(res[0].result), 120)), ctx)
		}
	}
	return nil
}

// batch sends reqs in batches of Config.BatchSize, a few batches in flight
// at once, and returns the raw results in order. The first error (from the
// connection or from the server for any request) ends the call; its op is
// the failing request's method.
func (c *Client) batch(ctx context.Context, reqs []request) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, len(reqs))
	const inFlight = 4
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, inFlight)
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	setErr := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	for start := 0; start < len(reqs); start += c.cfg.BatchSize {
		end := min(start+c.cfg.BatchSize, len(reqs))
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(start, end int) {
			defer wg.Done()
			defer func() { <-sem }()
			res, err := c.call(ctx, reqs[start:end])
			if err != nil {
				setErr(c.wrap(batchOp(reqs[start:end]), err, ctx))
				return
			}
			for i, r := range res {
				if r.err != nil {
					setErr(c.wrap(reqs[start+i].Method, r.err, ctx))
					return
				}
				out[start+i] = r.result
			}
		}(start, end)
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, c.wrap(reqs[0].Method, err, ctx)
	}
	return out, nil
}

// batchOp names the methods of a batch, for an error that concerns the
// whole of it: "m1" or "m1+m2+...".
func batchOp(reqs []request) string {
	var names []string
	seen := make(map[string]bool)
	for _, r := range reqs {
		if !seen[r.Method] {
			seen[r.Method] = true
			names = append(names, r.Method)
		}
	}
	return strings.Join(names, "+")
}

// onNotify turns a server notification into a Notification. Unknown
// methods and unreadable parameters are ignored: notifications only hint
// that something changed.
func (c *Client) onNotify(method string, params json.RawMessage) {
	switch method {
	case "blockchain.headers.subscribe":
		var p []headerInfo
		if json.Unmarshal(params, &p) != nil || len(p) == 0 {
			return
		}
		ref, err := c.tipFrom(p[0])
		if err != nil {
			return
		}
		c.notify(Notification{Tip: &ref})
	case "blockchain.scripthash.subscribe":
		var p []*string
		if json.Unmarshal(params, &p) != nil || len(p) != 2 || p[0] == nil {
			return
		}
		n := Notification{ScriptHash: *p[0]}
		if p[1] != nil {
			n.Status = *p[1]
		}
		c.notify(n)
	}
}

// notify queues n without blocking; a full queue drops it.
func (c *Client) notify(n Notification) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	select {
	case c.notes <- n:
	default:
	}
}

// keepAlive pings an idle connection, and restores a dropped one while
// subscriptions are in force so that notifications keep coming.
func (c *Client) keepAlive() {
	defer c.wg.Done()
	tick := time.NewTicker(c.cfg.KeepAlive / 2)
	defer tick.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
		}
		c.mu.Lock()
		cur := c.cur
		c.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
		go func() {
			select {
			case <-c.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		switch {
		case cur != nil && cur.alive():
			if time.Since(cur.idleSince()) >= c.cfg.KeepAlive {
				if _, err := cur.call(ctx, []request{{Method: "server.ping"}}); err != nil && !errors.Is(err, ErrClosed) {
					cur.close(&connError{fmt.Errorf("keep-alive ping failed: %w", err)})
				}
			}
		case cur != nil && c.subscribed():
			c.conn(ctx) // errors: try again at the next tick
		}
		cancel()
	}
}

// headerInfo is the reply of blockchain.headers.subscribe.
type headerInfo struct {
	Height int32  `json:"height"`
	Hex    string `json:"hex"`
}

// tipFrom checks a reported tip header and names it.
func (c *Client) tipFrom(h headerInfo) (chain.BlockRef, error) {
	if h.Height < 0 {
		return chain.BlockRef{}, fmt.Errorf("%w: negative tip height %d", chain.ErrMalformed, h.Height)
	}
	hdr, err := chain.ParseHeaderHex(h.Hex)
	if err != nil {
		return chain.BlockRef{}, fmt.Errorf("%w: tip header: %v", chain.ErrMalformed, err)
	}
	if err := chain.CheckWork(hdr, c.cfg.Params); err != nil {
		return chain.BlockRef{}, err
	}
	return chain.BlockRef{Height: h.Height, Hash: hdr.BlockHash()}, nil
}

// Tip returns the best block, checking that the header the server sends
// parses (and carries valid work, when Config.Params is set). It also
// subscribes to new blocks: each one is reported on Notifications.
func (c *Client) Tip(ctx context.Context) (chain.BlockRef, error) {
	const op = "blockchain.headers.subscribe"
	c.mu.Lock()
	c.subHeaders = true
	c.mu.Unlock()
	var h headerInfo
	if err := c.do(ctx, op, nil, &h); err != nil {
		return chain.BlockRef{}, err
	}
	ref, err := c.tipFrom(h)
	if err != nil {
		return chain.BlockRef{}, &chain.ServerError{Server: c.name, Op: op, Err: err}
	}
	return ref, nil
}

// Subscribe asks the server to report changes to the history of scripts
// on Notifications, and returns their current status hashes (empty for an
// empty history), in order. Subscriptions are renewed after a
// reconnection.
func (c *Client) Subscribe(ctx context.Context, scripts [][]byte) ([]string, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	reqs := make([]request, len(scripts))
	c.mu.Lock()
	for i, s := range scripts {
		sh := chain.ScriptHash(s)
		c.subScripts[sh] = true
		reqs[i] = request{Method: "blockchain.scripthash.subscribe", Params: []any{sh}}
	}
	c.mu.Unlock()
	raw, err := c.batch(ctx, reqs)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(raw))
	for i, r := range raw {
		var s *string
		if err := json.Unmarshal(r, &s); err != nil {
			return nil, c.wrap("blockchain.scripthash.subscribe", fmt.Errorf("%w: status %s", chain.ErrMalformed, chain.Truncate(string(r), 100)), ctx)
		}
		if s != nil {
			out[i] = *s
		}
	}
	return out, nil
}

// FeeRate asks the server (blockchain.estimatefee, which the server takes
// from its node) for the fee rate to confirm within target blocks, and
// converts it from BTC/kB to sat/vB. A server without an estimate (it
// answers -1, e.g. on a fresh node or regtest) gives chain.ErrNoFeeEstimate.
func (c *Client) FeeRate(ctx context.Context, target int) (float64, error) {
	const op = "blockchain.estimatefee"
	if target < 1 {
		return 0, &chain.ServerError{Server: c.name, Op: op, Err: fmt.Errorf("confirmation target %d blocks: want at least 1", target)}
	}
	var btcPerKB float64
	if err := c.do(ctx, op, []any{target}, &btcPerKB); err != nil {
		return 0, err
	}
	return feeRate(c.name, target, btcPerKB)
}

// feeRate converts an estimatefee result in BTC/kB to sat/vB.
func feeRate(server string, target int, btcPerKB float64) (float64, error) {
	const op = "blockchain.estimatefee"
	if btcPerKB < 0 {
		return 0, &chain.ServerError{Server: server, Op: op, Err: fmt.Errorf("%w: the server has none for %d blocks (its node has not seen enough transactions yet)", chain.ErrNoFeeEstimate, target)}
	}
	rate := btcPerKB * 1e5 // 1e8 sat/BTC, 1000 vB/kB
	if rate != rate || rate > 1e7 {
		return 0, &chain.ServerError{Server: server, Op: op, Err: fmt.Errorf("%w: fee rate %g BTC/kB", chain.ErrMalformed, btcPerKB)}
	}
	return rate, nil
}

// Broadcast submits tx and checks that the server answers with its txid.
// A refusal from the server's node is an error wrapping chain.ErrRejected
// with the node's reason.
func (c *Client) Broadcast(ctx context.Context, tx *wire.MsgTx) (chainhash.Hash, error) {
	const op = "blockchain.transaction.broadcast"
	id := tx.TxHash()
	raw, err := serializeHex(tx)
	if err != nil {
		return chainhash.Hash{}, &chain.ServerError{Server: c.name, Op: op, Err: err}
	}
	var got string
	err = c.do(ctx, op, []any{raw}, &got)
	var rerr *RPCError
	if errors.As(err, &rerr) && !isProtocolError(rerr.Code) {
		return chainhash.Hash{}, &chain.ServerError{Server: c.name, Op: op, Err: fmt.Errorf("%w: %s", chain.ErrRejected, chain.Truncate(rerr.Message, 500))}
	}
	if err != nil {
		return chainhash.Hash{}, err
	}
	h, err := chain.ParseHashHex(got)
	if err != nil {
		// Protocol 1.0 servers put the node's refusal in the result.
		return chainhash.Hash{}, &chain.ServerError{Server: c.name, Op: op, Err: fmt.Errorf("%w: %s", chain.ErrRejected, chain.Truncate(got, 500))}
	}
	if h != id {
		return chainhash.Hash{}, &chain.ServerError{Server: c.name, Op: op, Err: fmt.Errorf("%w: server answered txid %s for transaction %s", chain.ErrLie, h, id)}
	}
	return id, nil
}

// isProtocolError reports JSON-RPC's own error codes (bad request, unknown
// method, bad params, ...), which say nothing about the transaction.
func isProtocolError(code int) bool {
	return code >= -32768 && code <= -32000 && code != -32603
}
