package esplora

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"golang.org/x/net/proxy"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
)

// Defaults of Config.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultConcurrency = 8
	// maxBody bounds any reply body.
	maxBody = 32 << 20
)

// Config says how to reach an Esplora HTTP API.
type Config struct {
	// BaseURL is the API's root, e.g. "http://127.0.0.1:3002",
	// "https://esplora.example/api" or "http://abc...xyz.onion/api".
	BaseURL string

	// Proxy, when set, is the SOCKS5 proxy (Tor) every request goes
	// through. Required for .onion hosts. Proxy settings from the
	// environment (HTTP_PROXY and the like) are never used.
	Proxy *Proxy

	// Params, when set, is the network the wallet is on: the API's
	// genesis block must match it, and every block header the client
	// uses must carry valid proof of work no easier than the network's
	// limit (except on regtest, whose blocks carry no meaningful work).
	Params *chaincfg.Params

	// Timeout bounds each call when the caller's context has no earlier
	// deadline. Default 30s.
	Timeout time.Duration

	// Concurrency bounds the requests in flight at once, across all
	// calls of the client. Default 8.
	Concurrency int

	// Transport replaces the HTTP transport (tests, custom TLS roots).
	// Proxy is ignored when it is set.
	Transport http.RoundTripper
}

// Proxy is a SOCKS5 proxy, usually Tor (127.0.0.1:9050).
type Proxy struct {
	// Addr is host:port of the proxy.
	Addr string
	// User and Password, when set, are sent to the proxy. Tor uses them
	// to isolate streams: connections with different credentials take
	// different circuits.
	User, Password string
}

// ErrOnionNeedsProxy is returned for a .onion API when no SOCKS5 proxy
// (Tor) is configured: such names cannot be reached, or even looked up,
// without one, and trying would leak the name to the local resolver.
var ErrOnionNeedsProxy = errors.New(".onion addresses can only be reached through a SOCKS5 proxy such as Tor; set a proxy")

// ErrNotFound marks a 404 reply: an unknown transaction or block.
var ErrNotFound = errors.New("not found")

// HTTPError is a reply with a status other than 200 OK.
type HTTPError struct {
	Status int
	Body   string
}

func (e *HTTPError) Error() string {
	body := strings.TrimSpace(e.Body)
	if body == "" {
		return fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, chain.Truncate(body, 500))
}

// Is makes a 404 match ErrNotFound.
func (e *HTTPError) Is(target error) bool {
	return target == ErrNotFound && e.Status == http.StatusNotFound
}

// Client talks to one Esplora HTTP API (Blockstream's esplora/electrs,
// mempool.space's). It implements chain.Source and is safe for concurrent
// use.
type Client struct {
	cfg  Config
	base *url.URL
	name string // "esplora <base URL>", for errors
	hc   *http.Client
	sem  chan struct{}

	requests atomic.Int64

	genesisOnce sync.Mutex
	genesisOK   bool

	cache   *chain.TxCache
	headers sync.Map        // chainhash.Hash -> *wire.BlockHeader, checked against its hash
	proven  chain.ProvenSet // inclusion already checked
}

var _ chain.Source = (*Client)(nil)

// New returns a client for the API at cfg.BaseURL. It does not connect:
// the first call does.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("esplora URL %q: want http://host[:port][/path] or https://...", cfg.BaseURL)
	}
	if base.User != nil || base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("esplora URL %q: no credentials, query or fragment, please", cfg.BaseURL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	c := &Client{
		cfg:   cfg,
		base:  base,
		name:  "esplora " + base.String(),
		sem:   make(chan struct{}, cfg.Concurrency),
		cache: chain.NewTxCache(50000),
	}
	onion := strings.HasSuffix(strings.ToLower(strings.TrimSuffix(base.Hostname(), ".")), ".onion")
	tr := cfg.Transport
	if tr == nil {
		t := &http.Transport{
			Proxy:               nil, // never from the environment
			MaxIdleConnsPerHost: cfg.Concurrency,
			MaxConnsPerHost:     cfg.Concurrency,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: cfg.Timeout,
			ForceAttemptHTTP2:   true,
		}
		if cfg.Proxy != nil && cfg.Proxy.Addr != "" {
			var auth *proxy.Auth
			if cfg.Proxy.User != "" || cfg.Proxy.Password != "" {
				auth = &proxy.Auth{User: cfg.Proxy.User, Password: cfg.Proxy.Password}
			}
			d, err := proxy.SOCKS5("tcp", cfg.Proxy.Addr, auth, &net.Dialer{})
			if err != nil {
				return nil, fmt.Errorf("SOCKS5 proxy %s: %w", cfg.Proxy.Addr, err)
			}
			cd, ok := d.(proxy.ContextDialer)
			if !ok {
				return nil, fmt.Errorf("SOCKS5 proxy %s: dialer cannot be cancelled", cfg.Proxy.Addr)
			}
			t.DialContext = cd.DialContext
		} else {
			if onion {
				return nil, &chain.ServerError{Server: c.name, Op: "connect", Err: ErrOnionNeedsProxy}
			}
			t.DialContext = (&net.Dialer{Timeout: cfg.Timeout}).DialContext
		}
		tr = t
	}
	c.hc = &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return errors.New("redirects are not followed")
		},
	}
	return c, nil
}

// Server returns the API the client talks to, as "esplora <base URL>".
func (c *Client) Server() string { return c.name }

// Requests returns how many HTTP requests the client has made.
func (c *Client) Requests() int64 { return c.requests.Load() }

// Close releases idle connections.
func (c *Client) Close() error {
	c.hc.CloseIdleConnections()
	return nil
}

// withTimeout applies Config.Timeout to ctx.
func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return chain.WithTimeout(ctx, c.cfg.Timeout)
}

// wrap names the server and operation in err.
func (c *Client) wrap(op string, err error) error {
	return chain.WrapServer(c.name, op, err)
}

// url returns the full URL of an API path.
func (c *Client) url(path string) string { return c.base.String() + path }

// do makes one request, at most Config.Concurrency at once, and returns
// the body of a 200 reply. Other replies are *HTTPError.
func (c *Client) do(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	op := method + " " + path
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, c.wrap(op, ctx.Err())
	}
	defer func() { <-c.sem }()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url(path), rd)
	if err != nil {
		return nil, c.wrap(op, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/plain")
	}
	c.requests.Add(1)
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, c.wrap(op, ctx.Err())
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the server's name already
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("connection closed by server: %w", err)
		}
		return nil, c.wrap(op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, c.wrap(op, ctx.Err())
		}
		return nil, c.wrap(op, fmt.Errorf("reading reply: %w", err))
	}
	if len(data) > maxBody {
		return nil, c.wrap(op, fmt.Errorf("%w: reply over %d bytes", chain.ErrMalformed, maxBody))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, c.wrap(op, &HTTPError{Status: resp.StatusCode, Body: string(data)})
	}
	return data, nil
}

// getJSON gets path and decodes the JSON reply into out.
func (c *Client) getJSON(ctx context.Context, path string, out any) error {
	data, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return c.wrap("GET "+path, fmt.Errorf("%w from %s: %v", chain.ErrMalformed, c.url(path), err))
	}
	return nil
}

// getText gets path and returns the reply, trimmed.
func (c *Client) getText(ctx context.Context, path string) (string, error) {
	data, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(data)), nil
}

// malformed reports a reply from path that does not parse.
func (c *Client) malformed(path string, format string, args ...any) error {
	return c.wrap("GET "+path, fmt.Errorf("%w from %s: %s", chain.ErrMalformed, c.url(path), fmt.Sprintf(format, args...)))
}

// lie reports a reply from path that contradicts itself or the chain.
func (c *Client) lie(path string, format string, args ...any) error {
	return c.wrap("GET "+path, fmt.Errorf("%w: %s", chain.ErrLie, fmt.Sprintf(format, args...)))
}

// parallel calls f for 0..n-1 on up to Config.Concurrency goroutines and
// returns the first error, which cancels the rest.
func (c *Client) parallel(parent context.Context, n int, f func(ctx context.Context, i int) error) error {
	if err := parent.Err(); err != nil {
		return c.wrap("request", err)
	}
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for w := 0; w < min(n, c.cfg.Concurrency); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(ctx, i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && parent.Err() != nil {
		return c.wrap("request", parent.Err())
	}
	return firstErr
}

// checkNetwork compares the API's genesis block with Config.Params, once.
func (c *Client) checkNetwork(ctx context.Context) error {
	if c.cfg.Params == nil {
		return nil
	}
	c.genesisOnce.Lock()
	defer c.genesisOnce.Unlock()
	if c.genesisOK {
		return nil
	}
	const path = "/block-height/0"
	s, err := c.getText(ctx, path)
	if err != nil {
		return err
	}
	if _, err := chain.ParseHashHex(s); err != nil {
		return c.malformed(path, "%v", err)
	}
	if want := c.cfg.Params.GenesisHash.String(); s != want {
		return c.wrap("GET "+path, fmt.Errorf("server is on another network: genesis block %s, want %s (%s)",
			chain.Truncate(s, 64), want, c.cfg.Params.Name))
	}
	c.genesisOK = true
	return nil
}

// header returns the header of the block with the given hash, checked to
// hash to it (and to carry valid work, with Config.Params).
func (c *Client) header(ctx context.Context, hash chainhash.Hash) (*wire.BlockHeader, error) {
	if h, ok := c.headers.Load(hash); ok {
		return h.(*wire.BlockHeader), nil
	}
	path := "/block/" + hash.String() + "/header"
	s, err := c.getText(ctx, path)
	if err != nil {
		return nil, err
	}
	hdr, err := chain.ParseHeaderHex(s)
	if err != nil {
		return nil, c.malformed(path, "%v", err)
	}
	if got := hdr.BlockHash(); got != hash {
		return nil, c.lie(path, "header of block %s hashes to %s", hash, got)
	}
	if err := chain.CheckWork(hdr, c.cfg.Params); err != nil {
		return nil, c.wrap("GET "+path, err)
	}
	c.headers.Store(hash, hdr)
	return hdr, nil
}

// Tip returns the best block: the API's tip hash and height, checked to
// agree with each other (GET /block-height/:height) and with the block's
// header.
func (c *Client) Tip(ctx context.Context) (chain.BlockRef, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	if err := c.checkNetwork(ctx); err != nil {
		return chain.BlockRef{}, err
	}
	for attempt := 0; ; attempt++ {
		hashStr, err := c.getText(ctx, "/blocks/tip/hash")
		if err != nil {
			return chain.BlockRef{}, err
		}
		hash, err := chain.ParseHashHex(hashStr)
		if err != nil {
			return chain.BlockRef{}, c.malformed("/blocks/tip/hash", "%v", err)
		}
		heightStr, err := c.getText(ctx, "/blocks/tip/height")
		if err != nil {
			return chain.BlockRef{}, err
		}
		height, err := strconv.ParseInt(heightStr, 10, 32)
		if err != nil || height < 0 {
			return chain.BlockRef{}, c.malformed("/blocks/tip/height", "height %q", chain.Truncate(heightStr, 40))
		}
		path := "/block-height/" + strconv.FormatInt(height, 10)
		atStr, err := c.getText(ctx, path)
		if err != nil {
			return chain.BlockRef{}, err
		}
		at, err := chain.ParseHashHex(atStr)
		if err != nil {
			return chain.BlockRef{}, c.malformed(path, "%v", err)
		}
		if at != hash {
			// A block may have arrived between the requests.
			if attempt < 2 {
				continue
			}
			return chain.BlockRef{}, c.lie(path, "tip is %s, but the block at the tip height %d is %s", hash, height, at)
		}
		if _, err := c.header(ctx, hash); err != nil {
			return chain.BlockRef{}, err
		}
		return chain.BlockRef{Height: int32(height), Hash: hash}, nil
	}
}

// FeeRate returns the API's estimate (GET /fee-estimates, in sat/vB) for
// the largest target it lists that is not above target; when target is
// below every listed one, the estimate of the smallest. No estimates give
// chain.ErrNoFeeEstimate.
func (c *Client) FeeRate(ctx context.Context, target int) (float64, error) {
	const path = "/fee-estimates"
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	if target < 1 {
		return 0, c.wrap("GET "+path, fmt.Errorf("confirmation target %d blocks: want at least 1", target))
	}
	var m map[string]float64
	if err := c.getJSON(ctx, path, &m); err != nil {
		return 0, err
	}
	return pickFeeRate(m, target, func(format string, args ...any) error { return c.malformed(path, format, args...) },
		func(err error) error { return c.wrap("GET "+path, err) })
}

// pickFeeRate chooses an estimate from the /fee-estimates map.
func pickFeeRate(m map[string]float64, target int, malformed func(string, ...any) error, wrap func(error) error) (float64, error) {
	type est struct {
		target int
		rate   float64
	}
	var ests []est
	for k, v := range m {
		t, err := strconv.Atoi(k)
		if err != nil || t < 1 {
			return 0, malformed("confirmation target %q", chain.Truncate(k, 20))
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 1e7 {
			return 0, malformed("fee rate %v for %d blocks", v, t)
		}
		if v > 0 {
			ests = append(ests, est{t, v})
		}
	}
	if len(ests) == 0 {
		return 0, wrap(fmt.Errorf("%w: the server lists none", chain.ErrNoFeeEstimate))
	}
	sort.Slice(ests, func(i, j int) bool { return ests[i].target < ests[j].target })
	pick := ests[0]
	for _, e := range ests {
		if e.target <= target {
			pick = e
		}
	}
	return pick.rate, nil
}

// Broadcast submits tx (POST /tx) and checks that the API answers with its
// txid. A refusal (HTTP 400, with the node's reason as the body) is an
// error wrapping chain.ErrRejected.
func (c *Client) Broadcast(ctx context.Context, tx *wire.MsgTx) (chainhash.Hash, error) {
	const path = "/tx"
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	id := tx.TxHash()
	var buf bytes.Buffer
	if err := tx.Serialize(&buf); err != nil {
		return chainhash.Hash{}, c.wrap("POST "+path, err)
	}
	data, err := c.do(ctx, http.MethodPost, path, []byte(hex.EncodeToString(buf.Bytes())))
	var he *HTTPError
	if errors.As(err, &he) && he.Status == http.StatusBadRequest {
		return chainhash.Hash{}, c.wrap("POST "+path, fmt.Errorf("%w: %s", chain.ErrRejected, chain.Truncate(strings.TrimSpace(he.Body), 500)))
	}
	if err != nil {
		return chainhash.Hash{}, err
	}
	got, err := chain.ParseHashHex(strings.TrimSpace(string(data)))
	if err != nil {
		return chainhash.Hash{}, c.wrap("POST "+path, fmt.Errorf("%w from %s: %v", chain.ErrMalformed, c.url(path), err))
	}
	if got != id {
		return chainhash.Hash{}, c.wrap("POST "+path, fmt.Errorf("%w: server answered txid %s for transaction %s", chain.ErrLie, got, id))
	}
	return id, nil
}

// Transactions returns the transactions with the given ids, in order, each
// fetched as hex (GET /tx/:txid/hex) and checked to hash to its id. Ids
// already fetched come from memory.
func (c *Client) Transactions(ctx context.Context, ids []chainhash.Hash) ([]*wire.MsgTx, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	out, err := c.transactions(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i] = out[i].Copy() // callers may change what they get
	}
	return out, nil
}

func (c *Client) transactions(ctx context.Context, ids []chainhash.Hash) ([]*wire.MsgTx, error) {
	out := make([]*wire.MsgTx, len(ids))
	var want []chainhash.Hash
	asked := make(map[chainhash.Hash]bool)
	for i, id := range ids {
		if tx := c.cache.Get(id); tx != nil {
			out[i] = tx
		} else if !asked[id] {
			asked[id] = true
			want = append(want, id)
		}
	}
	got := make([]*wire.MsgTx, len(want))
	err := c.parallel(ctx, len(want), func(ctx context.Context, i int) error {
		id := want[i]
		path := "/tx/" + id.String() + "/hex"
		s, err := c.getText(ctx, path)
		if err != nil {
			return err
		}
		tx, err := chain.ParseTxHex(s)
		if err != nil {
			return c.malformed(path, "%v", err)
		}
		if err := chain.CheckTx(id, tx); err != nil {
			return c.wrap("GET "+path, err)
		}
		c.cache.Put(id, tx)
		got[i] = tx
		return nil
	})
	if err != nil {
		return nil, err
	}
	byID := make(map[chainhash.Hash]*wire.MsgTx, len(want))
	for i, id := range want {
		byID[id] = got[i]
	}
	for i, id := range ids {
		if out[i] == nil {
			out[i] = byID[id]
		}
	}
	return out, nil
}
