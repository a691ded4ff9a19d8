// Package service joins the portfolio's wallet configuration to the wallet
// layer: it turns a portfolio.WalletConfig into a watch-only wallet.Wallet,
// connects to the backend the user configured (an Electrum server, an Esplora
// API or a node), syncs through it and keeps the disposable cache, and reads
// cached balances for the portfolio's BTC holdings. The command line and the
// terminal interface both call it, so the two never drift apart.
//
// Nothing here holds a private key: signing is a request to a hardware wallet
// (or, for air-gapped use, a PSBT file).
package service

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"golang.org/x/net/proxy"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/bitcoind"
	"codeberg.org/hardfolio/hardfolio/wallet/chain"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
	"codeberg.org/hardfolio/hardfolio/wallet/electrum"
	"codeberg.org/hardfolio/hardfolio/wallet/esplora"
)

// ErrNoBackend is returned by Connect (and Sync) for a wallet without a
// configured backend: such a wallet only derives addresses and builds PSBTs.
var ErrNoBackend = errors.New("no backend configured: set one with --backend and --server")

// Open turns cfg into a watch-only wallet: it reads the network, parses the
// descriptor for it (checksum included, when present), a single-sig one or
// a multisig one (wsh, sh(wsh), sh of multi or sortedmulti), and checks
// the result. Errors name the wallet and what is wrong with it, e.g.
// `wallet "cold": descriptor: checksum mismatch ...`.
func Open(cfg portfolio.WalletConfig) (*wallet.Wallet, error) {
	net, err := descriptor.ParseNetwork(cfg.Network)
	if err != nil {
		return nil, fmt.Errorf("wallet %q: network: %w", cfg.ID, err)
	}
	text := strings.TrimSpace(cfg.Descriptor)
	if text == "" {
		return nil, fmt.Errorf("wallet %q: %w", cfg.ID, wallet.ErrNoDescriptor)
	}
	var d *descriptor.Descriptor
	var ms *descriptor.Multisig
	if descriptor.IsMultisig(text) {
		ms, err = descriptor.ParseMultisig(text, net)
	} else {
		d, err = descriptor.Parse(text, net)
	}
	if err != nil {
		return nil, fmt.Errorf("wallet %q: descriptor: %w", cfg.ID, err)
	}
	birthday := cfg.BirthdayHeight
	if birthday == 0 && !cfg.Birthday.IsZero() {
		// A birthday given as a date: scan from an estimate that errs early.
		birthday = wallet.EstimateHeight(net, cfg.Birthday)
	}
	w := &wallet.Wallet{
		ID:             cfg.ID,
		Name:           cfg.Name,
		Descriptor:     d,
		Multisig:       ms,
		Network:        net,
		BirthdayHeight: birthday,
		GapLimit:       cfg.GapLimit,
	}
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("wallet %q: %w", cfg.ID, err)
	}
	return w, nil
}

// Connect builds the chain source of cfg's backend and, for Electrum and the
// node, connects to it, so that an unreachable server, a changed certificate
// or a server on another network is reported at once:
//
//   - electrum: Server as tcp://host:port or ssl://host:port; TLS
//     certificates are pinned on first use in PinsPath (see FilePins);
//   - esplora: Server is the API's base URL; it is reached on first use;
//   - node: Server is the RPC URL; credentials from RPCCookie or
//     RPCUser/RPCPassword.
//
// Proxy, when set, is a SOCKS5 proxy (Tor) every connection goes through,
// written host:port or socks5://[user:password@]host:port. The caller closes
// the source.
func Connect(ctx context.Context, cfg portfolio.WalletConfig) (chain.Source, error) {
	src, err := connect(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("wallet %q: %w", cfg.ID, err)
	}
	return src, nil
}

func connect(ctx context.Context, cfg portfolio.WalletConfig) (chain.Source, error) {
	b := cfg.Backend
	if b.Kind == "" {
		return nil, ErrNoBackend
	}
	if strings.TrimSpace(b.Server) == "" {
		return nil, fmt.Errorf("%s backend: no server given", b.Kind)
	}
	n, err := descriptor.ParseNetwork(cfg.Network)
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	params := n.Params()
	px, err := ParseProxy(b.Proxy)
	if err != nil {
		return nil, err
	}
	switch b.Kind {
	case "electrum":
		pins, err := DefaultPins()
		if err != nil {
			return nil, err
		}
		ec := electrum.Config{Server: b.Server, Pins: pins, Params: params}
		if px != nil {
			ec.Proxy = &electrum.Proxy{Addr: px.Addr, User: px.User, Password: px.Password}
		}
		c, err := electrum.Dial(ctx, ec)
		if err != nil {
			return nil, err
		}
		return c, nil
	case "esplora":
		ec := esplora.Config{BaseURL: b.Server, Params: params}
		if px != nil {
			ec.Proxy = &esplora.Proxy{Addr: px.Addr, User: px.User, Password: px.Password}
		}
		c, err := esplora.New(ec)
		if err != nil {
			return nil, err
		}
		return c, nil
	case "node":
		nc := bitcoind.Config{URL: b.Server, User: b.RPCUser, Password: b.RPCPassword, CookieFile: b.RPCCookie, Net: params}
		if px != nil {
			hc, err := socksHTTPClient(px)
			if err != nil {
				return nil, err
			}
			nc.HTTPClient = hc
		}
		s, err := bitcoind.Dial(ctx, nc)
		if err != nil {
			return nil, err
		}
		return s, nil
	default:
		return nil, fmt.Errorf("unknown backend %q: want electrum, esplora or node", b.Kind)
	}
}

// Proxy is a SOCKS5 proxy as the wallet configuration gives it.
type Proxy struct {
	Addr           string // host:port
	User, Password string // optional; Tor isolates streams by them
}

// ParseProxy reads a proxy written host:port or socks5://[user:password@]host:port
// (socks5h:// is the same: names are always resolved by the proxy). An empty
// string is no proxy: nil, nil.
func ParseProxy(s string) (*Proxy, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if !strings.Contains(s, "://") {
		s = "socks5://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("proxy %q: %w", s, err)
	}
	if u.Scheme != "socks5" && u.Scheme != "socks5h" {
		return nil, fmt.Errorf("proxy %q: only SOCKS5 proxies are supported (socks5://host:port)", s)
	}
	if _, port, err := net.SplitHostPort(u.Host); err != nil || port == "" {
		return nil, fmt.Errorf("proxy %q: want host:port, e.g. 127.0.0.1:9050", u.Host)
	}
	p := &Proxy{Addr: u.Host}
	if u.User != nil {
		p.User = u.User.Username()
		p.Password, _ = u.User.Password()
	}
	return p, nil
}

// socksHTTPClient returns an HTTP client whose connections all go through
// the SOCKS5 proxy px, host names resolved by the proxy, and that ignores
// the environment's proxy settings.
func socksHTTPClient(px *Proxy) (*http.Client, error) {
	var auth *proxy.Auth
	if px.User != "" || px.Password != "" {
		auth = &proxy.Auth{User: px.User, Password: px.Password}
	}
	d, err := proxy.SOCKS5("tcp", px.Addr, auth, &net.Dialer{Timeout: 30 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("SOCKS5 proxy %s: %w", px.Addr, err)
	}
	cd, ok := d.(proxy.ContextDialer)
	if !ok {
		return nil, fmt.Errorf("SOCKS5 proxy %s: dialer cannot be cancelled", px.Addr)
	}
	return &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         cd.DialContext,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}}, nil
}

// CachePath is where the chain cache of wallet id lives: wallet.CachePath.
func CachePath(id string) (string, error) { return wallet.CachePath(id) }

// LoadState opens cfg's wallet and reads its cache, without touching the
// network. A cache that could not be used is not an error: the State is
// then empty and warning says why (wrapping wallet.ErrCacheDiscarded).
// A wallet never synced has a State with a zero Tip.
func LoadState(cfg portfolio.WalletConfig) (st *wallet.State, warning, err error) {
	w, err := Open(cfg)
	if err != nil {
		return nil, nil, err
	}
	return loadState(w)
}

func loadState(w *wallet.Wallet) (*wallet.State, error, error) {
	path, err := wallet.CachePath(w.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("wallet %q: %w", w.ID, err)
	}
	st, werr := wallet.LoadState(path, w)
	if werr != nil {
		werr = fmt.Errorf("wallet %q: %w; rescanning", w.ID, werr)
	}
	return st, werr, nil
}

// Sync brings cfg's wallet up to date: it loads the cached State, connects
// to the backend, syncs (incrementally from the cache), saves the new State
// to the cache and returns it. progress, when not nil, receives the sync's
// progress. A cache that had to be discarded is reported in warning, not as
// an error: the wallet was then scanned from its birthday. Errors name the
// wallet.
func Sync(ctx context.Context, cfg portfolio.WalletConfig, progress func(wallet.Progress)) (st *wallet.State, warning, err error) {
	w, err := Open(cfg)
	if err != nil {
		return nil, nil, err
	}
	old, warning, err := loadState(w)
	if err != nil {
		return nil, warning, err
	}
	src, err := Connect(ctx, cfg)
	if err != nil {
		return nil, warning, err
	}
	defer src.Close()
	st, err = SyncWith(ctx, w, src, old, progress)
	return st, warning, err
}

// SyncWith syncs w from old through src and saves the result to w's cache:
// Sync with the wallet, source and previous State chosen by the caller (a
// front end that keeps a connection open between syncs).
func SyncWith(ctx context.Context, w *wallet.Wallet, src chain.Source, old *wallet.State, progress func(wallet.Progress)) (*wallet.State, error) {
	st, err := w.Sync(ctx, src, old, progress)
	if err != nil {
		return nil, fmt.Errorf("wallet %q: sync: %w", w.ID, err)
	}
	path, err := wallet.CachePath(w.ID)
	if err != nil {
		return nil, fmt.Errorf("wallet %q: %w", w.ID, err)
	}
	if err := st.Save(path); err != nil {
		return nil, fmt.Errorf("wallet %q: saving the cache: %w", w.ID, err)
	}
	return st, nil
}

// Broadcast submits the signed transaction tx through cfg's backend and
// returns its txid.
func Broadcast(ctx context.Context, cfg portfolio.WalletConfig, tx *wire.MsgTx) (chainhash.Hash, error) {
	src, err := Connect(ctx, cfg)
	if err != nil {
		return chainhash.Hash{}, err
	}
	defer src.Close()
	id, err := src.Broadcast(ctx, tx)
	if err != nil {
		return chainhash.Hash{}, fmt.Errorf("wallet %q: broadcast: %w", cfg.ID, err)
	}
	return id, nil
}

// Balances reads the cached balance (confirmed and unconfirmed) of every
// wallet of p that has been synced, without touching the network, for
// portfolio.WithWalletBalances. Wallets that were never synced, whose cache
// is unusable or whose descriptor does not parse are left out, so their
// holdings keep their recorded quantity.
func Balances(p *portfolio.Portfolio) map[string]int64 {
	out := make(map[string]int64)
	for _, cfg := range p.Wallets {
		st, warning, err := LoadState(cfg)
		if err != nil || warning != nil || st.Tip() == (chain.BlockRef{}) {
			continue
		}
		out[cfg.ID] = st.Balance().Total()
	}
	return out
}
