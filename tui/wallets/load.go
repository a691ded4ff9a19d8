package wallets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	tea "github.com/charmbracelet/bubbletea"

	"codeberg.org/hardfolio/hardfolio/hw/device"
	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/chain"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
	"codeberg.org/hardfolio/hardfolio/wallet/labels"
	"codeberg.org/hardfolio/hardfolio/wallet/service"
)

// Service is what the screen needs from the wallet layer. The zero value
// reads the default cache and label files and leaves syncing to the
// command line.
type Service struct {
	// CachePath names a wallet's cache file; nil means wallet.CachePath.
	CachePath func(id string) (string, error)
	// LabelsPath names a wallet's BIP 329 label file; nil means
	// labels.DefaultPath.
	LabelsPath func(id string) (string, error)
	// Sync brings a wallet's cache up to date from its backend, saves it
	// and returns the new state, with a warning when the old cache had to
	// be discarded. It must honour ctx (the user may cancel) and may call
	// progress from any one goroutine at a time. nil means the interface
	// cannot sync: the screen says to run `hardfolio wallet sync ID`
	// instead.
	Sync func(ctx context.Context, cfg portfolio.WalletConfig, progress func(wallet.Progress)) (st *wallet.State, warning, err error)
	// FeeRate asks the wallet's backend for its fee rate estimate, in
	// sat/vB, to confirm within target blocks. It must honour ctx. nil
	// means no estimate: the send form asks for a rate.
	FeeRate func(ctx context.Context, cfg portfolio.WalletConfig, target int) (float64, error)
	// OpenSigner opens the attached hardware wallet whose master key
	// fingerprint is fpr (the wallet's key origin), for the send form to
	// sign on, and says what it is. It must honour ctx. nil means the send
	// form only writes PSBTs.
	OpenSigner func(ctx context.Context, fpr uint32) (Signer, SignerInfo, error)
	// OpenSignerPrompted is OpenSigner with p answering what the device
	// asks the user (a Trezor's PIN, passphrase, confirmations), drawn on
	// the summary; it is used instead of OpenSigner when set.
	OpenSignerPrompted func(ctx context.Context, fpr uint32, p device.Prompter) (Signer, SignerInfo, error)
	// Broadcast sends a signed transaction through the wallet's backend
	// and returns its txid; nil means service.Broadcast.
	Broadcast func(ctx context.Context, cfg portfolio.WalletConfig, tx *wire.MsgTx) (chainhash.Hash, error)
	// Backend, when not empty, names where Sync, FeeRate and Broadcast
	// reach for every wallet, whatever its configuration says: the
	// demo's simulated chain. The screen shows it as each wallet's
	// backend and says it before broadcasting.
	Backend string
	// Load reads a wallet's state and when it was synced, instead of its
	// cache file (the demo keeps its states in memory); nil means the
	// cache file.
	Load func(w *wallet.Wallet) (st *wallet.State, synced time.Time, err error)
}

// Signer is a hardware wallet opened for signing: hw/device.Device is one.
type Signer interface {
	service.Signer
	Close() error
}

// SignerInfo says which device signs, for the prompts: "Confirm the
// transaction on your Ledger".
type SignerInfo struct {
	Vendor, Model string
}

// NextReceive returns the wallet's next unused receive address as of its
// last sync (its cache, or the state Load gives), index 0 for a wallet
// never synced. It reads files: call it from a command.
func (s Service) NextReceive(cfg portfolio.WalletConfig) (wallet.AddressInfo, error) {
	w, err := service.Open(cfg)
	if err != nil {
		return wallet.AddressInfo{}, err
	}
	var st *wallet.State
	if s.Load != nil {
		st, _, err = s.Load(w)
	} else {
		var path string
		if path, err = s.cachePath(cfg.ID); err == nil {
			st, err = wallet.LoadState(path, w) // a discarded cache is index 0
		}
	}
	if st == nil {
		return wallet.AddressInfo{}, err
	}
	return st.NextReceive()
}

// hasBackend reports whether the wallet can sync, estimate fees and
// broadcast.
func (s Service) hasBackend(cfg portfolio.WalletConfig) bool {
	return s.Backend != "" || cfg.Backend.Kind != ""
}

func (s Service) broadcast(ctx context.Context, cfg portfolio.WalletConfig, tx *wire.MsgTx) (chainhash.Hash, error) {
	if s.Broadcast != nil {
		return s.Broadcast(ctx, cfg, tx)
	}
	return service.Broadcast(ctx, cfg, tx)
}

// DefaultService reads the default cache and label files and syncs
// through package wallet/service, as the command line does.
func DefaultService() Service {
	return Service{CachePath: service.CachePath, LabelsPath: labels.DefaultPath, Sync: service.Sync, FeeRate: backendFeeRate}
}

// backendFeeRate connects to cfg's backend, asks for its estimate and
// closes the connection.
func backendFeeRate(ctx context.Context, cfg portfolio.WalletConfig, target int) (float64, error) {
	src, err := service.Connect(ctx, cfg)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	return src.FeeRate(ctx, target)
}

func (s Service) cachePath(id string) (string, error) {
	if s.CachePath != nil {
		return s.CachePath(id)
	}
	return wallet.CachePath(id)
}

func (s Service) labelsPath(id string) (string, error) {
	if s.LabelsPath != nil {
		return s.LabelsPath(id)
	}
	return labels.DefaultPath(id)
}

// cacheStatus says what the wallet's cache file held.
type cacheStatus int

const (
	cacheNone      cacheStatus = iota // no cache yet: never synced
	cacheDiscarded                    // unreadable or stale: a sync rebuilds it
	cacheOK
)

func (c cacheStatus) String() string {
	switch c {
	case cacheDiscarded:
		return "discarded"
	case cacheOK:
		return "ok"
	}
	return "none yet"
}

// entry is one wallet as the screen shows it, worked out in a command
// from its configuration, its cache and its labels: Update and View only
// lay these out.
type entry struct {
	cfg portfolio.WalletConfig
	err error // the wallet cannot be opened (a bad descriptor): nothing else is set

	cache    cacheStatus
	cacheErr error     // why the cache was discarded
	synced   time.Time // when the cache was written: the last sync
	tip      int32     // height the cache was synced to; 0: never
	bal      wallet.Balance
	state    *wallet.State // what the cache held; never modified, so shared freely

	// A multisig wallet's policy ("2-of-3 wsh sortedmulti"), its
	// canonical descriptor and its cosigners' master fingerprints, in
	// the descriptor's order; empty for a single-sig wallet.
	policy    string
	desc      string
	cosigners []uint32

	next      addrRow // the next unused receive address
	nextErr   error
	addrs     []addrRow // receive chain, then change chain
	utxos     []utxoRow
	history   []txRow
	labelsErr error // the label file exists but cannot be read
}

type addrRow struct {
	change  bool
	index   uint32
	address string
	path    string // full derivation, from the device's fingerprint
	used    bool
	balance int64
	txs     int
	label   string
}

type utxoRow struct {
	op       wire.OutPoint
	outpoint string // txid:vout
	frozen   bool   // not spendable, by the wallet's labels
	value    int64
	height   int32 // <= 0: unconfirmed
	address  string
	change   bool
	label    string
}

type txRow struct {
	txid     string
	height   int32 // <= 0: unconfirmed
	net      int64
	fee      int64
	feeKnown bool
	label    string
}

// loadedMsg carries the entries of every wallet, read for request gen.
type loadedMsg struct {
	gen     int
	entries []entry
}

// loadAll returns the command that reads every wallet's cache and labels.
func loadAll(svc Service, gen int, cfgs []portfolio.WalletConfig) tea.Cmd {
	return func() tea.Msg {
		out := make([]entry, len(cfgs))
		for i, c := range cfgs {
			out[i] = readEntry(svc, c, nil)
		}
		return loadedMsg{gen: gen, entries: out}
	}
}

// readEntry works out what the screen shows of one wallet: from st when
// given (a sync's result), else from its cache file.
func readEntry(svc Service, cfg portfolio.WalletConfig, st *wallet.State) entry {
	e := entry{cfg: cfg}
	w, err := service.Open(cfg)
	if err != nil {
		e.err = err
		return e
	}
	if w.IsMultisig() {
		e.policy, e.desc, e.cosigners = w.Kind(), w.String(), cosigners(w)
	}
	var synced time.Time
	switch {
	case svc.Load != nil:
		fresh := st
		var lst *wallet.State
		lst, synced, err = svc.Load(w)
		if fresh != nil {
			st = fresh
		} else if st = lst; err != nil {
			e.cache, e.cacheErr = cacheDiscarded, err
		}
		if st == nil {
			e.err = fmt.Errorf("wallet %q: no state", cfg.ID)
			return e
		}
	default:
		path, err := svc.cachePath(cfg.ID)
		if err != nil {
			e.err = err
			return e
		}
		if st == nil {
			st, err = wallet.LoadState(path, w)
			if err != nil {
				e.cache, e.cacheErr = cacheDiscarded, err
			}
		}
		if fi, err := os.Stat(path); err == nil {
			synced = fi.ModTime()
		}
	}
	if st.Tip() != (chain.BlockRef{}) {
		e.tip = st.Tip().Height
		if e.cache != cacheDiscarded {
			e.cache = cacheOK
		}
		e.synced = synced
	}
	e.bal = st.Balance()
	e.state = st

	lb := openLabels(svc, cfg.ID, &e)
	label := func(t labels.Type, ref string) string {
		if lb == nil {
			return ""
		}
		if l, ok := lb.Get(t, ref); ok {
			return l.Text()
		}
		return ""
	}

	// Addresses: each chain up to its last used address plus the gap
	// limit, as far as a sync looks.
	chains := []bool{false}
	if w.HasChange() {
		chains = append(chains, true)
	}
	for _, change := range chains {
		infos := chainAddresses(st, change, uint32(cfg.Gap()))
		for _, a := range infos {
			e.addrs = append(e.addrs, addrRow{
				change: a.Change, index: a.Index, address: a.Address, path: derivation(w, a.Change, a.Index),
				used: a.Used, balance: a.Balance, txs: a.TxCount, label: label(labels.Addr, a.Address),
			})
		}
	}
	if a, err := st.NextReceive(); err != nil {
		e.nextErr = err
	} else {
		e.next = addrRow{index: a.Index, address: a.Address, path: derivation(w, false, a.Index), label: label(labels.Addr, a.Address)}
	}

	frozen := map[wire.OutPoint]bool{}
	if lb != nil {
		for _, op := range lb.Frozen() {
			frozen[op] = true
		}
	}
	for _, u := range st.UTXOs() {
		op := u.OutPoint.String()
		l := label(labels.Output, op)
		if l == "" {
			l = label(labels.Tx, u.OutPoint.Hash.String())
		}
		if l == "" {
			l = label(labels.Addr, u.Address)
		}
		e.utxos = append(e.utxos, utxoRow{op: u.OutPoint, outpoint: op, frozen: frozen[u.OutPoint], value: u.Value, height: u.Height, address: u.Address, change: u.Change, label: l})
	}
	for _, t := range st.History() {
		id := t.TxID.String()
		e.history = append(e.history, txRow{txid: id, height: t.Height, net: t.Net, fee: t.Fee, feeKnown: t.FeeKnown, label: label(labels.Tx, id)})
	}
	return e
}

// openLabels opens the wallet's label store when its file exists.
func openLabels(svc Service, id string, e *entry) *labels.Store {
	path, err := svc.labelsPath(id)
	if err != nil {
		return nil
	}
	if _, err := os.Stat(path); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			e.labelsErr = err
		}
		return nil
	}
	s, err := labels.Open(path)
	if err != nil {
		e.labelsErr = err
		return nil
	}
	return s
}

// chainAddresses returns a chain's addresses up to gap past the last used
// one, reading gap at a time.
func chainAddresses(st *wallet.State, change bool, gap uint32) []wallet.AddressInfo {
	if gap == 0 {
		gap = wallet.DefaultGapLimit
	}
	var out []wallet.AddressInfo
	lastUsed := -1
	for from := uint32(0); int(from) <= lastUsed+int(gap) && from < 1<<20; from += gap {
		batch, err := st.Addresses(change, from, gap)
		if err != nil {
			break
		}
		for _, a := range batch {
			if a.Used {
				lastUsed = int(a.Index)
			}
		}
		out = append(out, batch...)
	}
	if n := lastUsed + 1 + int(gap); n < len(out) {
		out = out[:n]
	}
	return out
}

// derivation writes an address's full path: m/84h/0h/0h/0/5 from the
// device whose fingerprint is given in brackets.
//
// For a multisig wallet it is the path below the cosigners' keys, then
// their fingerprints: m/48h/0h/0h/2h/0/5 (f5acc2fd, 73c5da0a, 1a2b3c4d)
// when every cosigner's key has the same origin path, else
// …/0/5 (f5acc2fd, 73c5da0a, 1a2b3c4d).
func derivation(w *wallet.Wallet, change bool, index uint32) string {
	origins, err := w.KeyOrigins(change, index)
	if err != nil || len(origins) == 0 {
		return "?"
	}
	if len(origins) > 1 {
		return descriptor.JoinOrigins(origins)
	}
	o := origins[0].String()
	fp, path, ok := strings.Cut(o, "/")
	if !ok {
		return o
	}
	return "m/" + path + " (" + fp + ")"
}

// syncProgressMsg reports how far the sync of generation gen has come.
type syncProgressMsg struct {
	gen int
	p   wallet.Progress
}

// syncedMsg ends the sync of generation gen.
type syncedMsg struct {
	gen     int
	id      string
	entry   entry
	warning error
	err     error
}

// syncJob is a sync under way. Its goroutine sends progress (the latest
// only, never blocking) and the result on channels the listen command
// reads.
type syncJob struct {
	gen      int
	id       string
	cancel   context.CancelFunc
	progress chan syncProgressMsg
	done     chan syncedMsg
	last     wallet.Progress
	started  bool
}

// start returns the command that runs the sync and waits for its first
// report. The work starts when bubbletea runs the command, never in
// Update.
func (j *syncJob) start(svc Service, ctx context.Context, cfg portfolio.WalletConfig) tea.Cmd {
	return func() tea.Msg {
		go func() {
			st, warning, err := svc.Sync(ctx, cfg, func(p wallet.Progress) {
				msg := syncProgressMsg{gen: j.gen, p: p}
				select {
				case j.progress <- msg:
				default:
					// The screen has not read the previous report yet:
					// replace it with this newer one.
					select {
					case <-j.progress:
					default:
					}
					select {
					case j.progress <- msg:
					default:
					}
				}
			})
			res := syncedMsg{gen: j.gen, id: cfg.ID, warning: warning, err: err}
			if err == nil && st != nil {
				res.entry = readEntry(svc, cfg, st)
			}
			j.done <- res
		}()
		return j.wait()
	}
}

// listen returns the command that waits for the next report.
func (j *syncJob) listen() tea.Cmd { return func() tea.Msg { return j.wait() } }

func (j *syncJob) wait() tea.Msg {
	// A finished sync wins over a report still in the channel.
	select {
	case d := <-j.done:
		return d
	default:
	}
	select {
	case p := <-j.progress:
		return p
	case d := <-j.done:
		return d
	}
}

func newSyncJob(gen int, id string, cancel context.CancelFunc) *syncJob {
	return &syncJob{gen: gen, id: id, cancel: cancel, progress: make(chan syncProgressMsg, 1), done: make(chan syncedMsg, 1)}
}

// describeProgress writes a progress report for the status area.
func describeProgress(p wallet.Progress) string {
	if p.Stage == "" {
		return "connecting"
	}
	s := p.Stage
	if p.Total > 0 {
		s += " " + strconv.Itoa(p.Done) + "/" + strconv.Itoa(p.Total)
	}
	return s
}

// cosigners returns a multisig wallet's cosigners' master fingerprints,
// in the descriptor's order.
func cosigners(w *wallet.Wallet) []uint32 {
	var out []uint32
	for _, k := range w.Multisig.Keys() {
		out = append(out, fingerprint(k.Origin.Fingerprint))
	}
	return out
}

// fingerprint reads a key origin's fingerprint as a number, as devices
// report theirs.
func fingerprint(fp [4]byte) uint32 {
	return uint32(fp[0])<<24 | uint32(fp[1])<<16 | uint32(fp[2])<<8 | uint32(fp[3])
}
