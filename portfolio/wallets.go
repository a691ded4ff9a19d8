package portfolio

import (
	"fmt"
	"strings"
	"time"
)

// WalletConfig is a watch-only bitcoin wallet the portfolio keeps: its
// output descriptor, its network and birthday, and the user's own server
// or node it syncs from. The descriptor is checked by the wallet layer
// (package wallet/descriptor) when the portfolio is opened; here it is
// data. A BTC holding whose Wallet names this ID takes its quantity from
// the wallet's last sync.
type WalletConfig struct {
	ID         string
	Name       string
	Descriptor string // BIP380, receive and change as <0;1>/*, with checksum
	Network    string // mainnet, testnet, signet or regtest
	// BirthdayHeight is the first block that can hold the wallet's
	// transactions; scans start there. Birthday is the same as a date,
	// for the user's reference.
	BirthdayHeight int32
	Birthday       time.Time
	GapLimit       int // consecutive unused addresses before a scan stops; 0 means 20

	Backend Backend
}

// Backend says where a wallet syncs from. Kind is electrum, esplora or
// node; empty means the wallet is not synced (addresses and PSBTs only).
type Backend struct {
	Kind   string
	Server string // electrum: tcp://host:port or ssl://host:port; esplora: base URL; node: RPC URL
	Proxy  string // optional SOCKS5 proxy host:port (Tor)
	// Node RPC credentials: a cookie file, or a user and password.
	RPCUser     string
	RPCPassword string
	RPCCookie   string
}

// Networks and backend kinds accepted in the file.
var (
	WalletNetworks = []string{"mainnet", "testnet", "signet", "regtest"}
	BackendKinds   = []string{"electrum", "esplora", "node"}
)

// DefaultGapLimit is the gap limit of a wallet that does not set one.
const DefaultGapLimit = 20

// Gap is the wallet's gap limit or the default.
func (w *WalletConfig) Gap() int {
	if w.GapLimit > 0 {
		return w.GapLimit
	}
	return DefaultGapLimit
}

// WalletConfig returns the wallet with the given ID, or nil.
func (p *Portfolio) WalletConfig(id string) *WalletConfig {
	for i := range p.Wallets {
		if p.Wallets[i].ID == id {
			return &p.Wallets[i]
		}
	}
	return nil
}

// WithWallet returns a copy of p with w added, or replacing the wallet with
// the same ID when replace is true, validated as a whole.
func (p *Portfolio) WithWallet(w WalletConfig, replace bool) (*Portfolio, error) {
	q := p.Clone()
	old := q.WalletConfig(w.ID)
	switch {
	case old != nil && !replace:
		return nil, &FieldError{Section: "wallet", Index: -1, Parent: -1, ID: w.ID, Key: "id", Msg: "a wallet with this ID exists already"}
	case old == nil && replace:
		return nil, fmt.Errorf("no wallet with ID %q", w.ID)
	case old != nil:
		*old = w
	default:
		q.Wallets = append(q.Wallets, w)
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return q, nil
}

// WithoutWallet returns a copy of p without the wallet id. A wallet that a
// holding still names is refused, with the holdings named.
func (p *Portfolio) WithoutWallet(id string) (*Portfolio, error) {
	if p.WalletConfig(id) == nil {
		return nil, noSuchID("wallet", id)
	}
	var users []string
	for _, h := range p.Holdings {
		if h.Wallet == id {
			users = append(users, h.ID)
		}
	}
	if len(users) > 0 {
		return nil, fmt.Errorf("wallet %q supplies the balance of holding %s: remove it from them first", id, strings.Join(users, ", "))
	}
	q := p.Clone()
	for i := range q.Wallets {
		if q.Wallets[i].ID == id {
			q.Wallets = append(q.Wallets[:i], q.Wallets[i+1:]...)
			break
		}
	}
	return q, nil
}

// WithWalletBalances returns a copy of p in which every BTC holding that
// points at a wallet in balances holds that many sats: the wallet layer's
// synced balance. Holdings of other wallets keep their recorded quantity.
func (p *Portfolio) WithWalletBalances(balances map[string]int64) *Portfolio {
	q := p.Clone()
	for i := range q.Holdings {
		h := &q.Holdings[i]
		if sats, ok := balances[h.Wallet]; ok && h.Kind == KindBTC && h.Wallet != "" {
			h.Sats = sats
		}
	}
	return q
}

func (w *WalletConfig) validate(c *checker, i int) {
	add := func(key, f string, a ...any) { c.add("wallet", i, -1, w.ID, key, f, a...) }
	if err := CheckID(w.ID); err != nil {
		add("id", "%v", err)
	}
	if strings.TrimSpace(w.Descriptor) == "" {
		add("descriptor", "is required: an output descriptor such as wpkh([fingerprint/84h/0h/0h]xpub.../<0;1>/*)")
	}
	if !oneOf(w.Network, WalletNetworks) {
		add("network", "unknown network %q: want %s", w.Network, strings.Join(WalletNetworks, ", "))
	}
	if w.BirthdayHeight < 0 {
		add("birthday_height", "must not be negative, got %d", w.BirthdayHeight)
	}
	if w.GapLimit < 0 || w.GapLimit > 10000 {
		add("gap_limit", "must be from 1 to 10000 (0 for the default 20), got %d", w.GapLimit)
	}
	b := w.Backend
	switch {
	case b.Kind == "":
		if b.Server != "" {
			add("backend", "is required with a server: electrum, esplora or node")
		}
	case !oneOf(b.Kind, BackendKinds):
		add("backend", "unknown backend %q: want %s", b.Kind, strings.Join(BackendKinds, ", "))
	case b.Server == "":
		add("server", "is required for the %s backend", b.Kind)
	}
	if b.RPCCookie != "" && (b.RPCUser != "" || b.RPCPassword != "") {
		add("rpc_cookie", "give a cookie file or a user and password, not both")
	}
}

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}
