// Package wallets is the Wallets screen: the portfolio's watch-only
// bitcoin wallets with their cached balances, and for the selected one its
// next receive address with a QR code, its addresses, its coins (UTXOs)
// and its history. Its send form (send.go) pays from the selected wallet
// with a PSBT, which it signs on the wallet's hardware wallet and
// broadcasts after asking (sign.go), or leaves in a file for a signer.
//
// Everything shown comes from the wallet's disposable cache, read in a
// command (see loadAll) when the portfolio's wallets change. A sync runs
// in a command too, reports progress, and can be cancelled; its results,
// and those of reads, carry the generation of their request, and the
// screen drops replies to requests it has since replaced.
package wallets

import (
	"context"
	"fmt"
	"reflect"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/tui/common"
	"codeberg.org/hardfolio/hardfolio/tui/devprompt"
)

// View is a sub-view of the detail pane.
type View int

// The sub-views.
const (
	Receive View = iota
	Addresses
	UTXOs
	History
	numViews
)

func (v View) String() string {
	return [...]string{"Receive", "Addresses", "UTXOs", "History"}[v]
}

// Model is the Wallets screen.
type Model struct {
	*common.Context
	svc Service

	width, height int

	// The wallets on screen: cfgs from the portfolio, entries read from
	// their caches (nil until the first read returns).
	cfgs    []portfolio.WalletConfig
	entries []entry
	loaded  bool
	// gen numbers read and sync requests; a reply of an older one is
	// dropped. wantGen is the read the screen waits for (0: none).
	gen     int
	wantGen int
	stale   bool // cfgs changed since the last read was asked for

	selected int
	view     View
	offset   [numViews]int // scroll position of each table

	job *syncJob

	send *sendForm // the send form or its summary, when open

	// What a device asks the user while signing (a Trezor's PIN,
	// passphrase, confirmations): prompter is the screen's
	// device.Prompter, prompt what the summary draws of it.
	prompter *devprompt.Prompter
	prompt   devprompt.Model

	conv    *portfolio.Converter // BTC in the snapshot's unit; nil in BTC or sats
	convFor *common.Snapshot

	// Cached renders: the frame, and the QR code of the address on view.
	frame  string
	qrFor  string
	qrMods [][]bool
	qrErr  error
	qrDraw struct {
		quiet int
		light bool
		lines []string
	}
}

// New returns the Wallets screen.
func New(ctx *common.Context, svc Service) *Model {
	m := &Model{Context: ctx, svc: svc}
	m.prompter = devprompt.New(m.Title())
	return m
}

// Init does nothing: the wallets are read when the screen is first shown.
func (m *Model) Init() tea.Cmd { return nil }

// Title is the tab label.
func (m *Model) Title() string { return "Wallets" }

// Capturing reports whether the send form is open: it takes every key.
func (m *Model) Capturing() bool { return m.send != nil }

// SetSize lays the screen out for its new area.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	if m.send != nil {
		m.send.setSize(width, height)
	}
	m.clampOffsets()
	m.render()
}

// Refresh picks up a new snapshot: a new valuation unit, or a portfolio
// whose wallets may have changed (then Load reads them again).
func (m *Model) Refresh() {
	p := m.Portfolio()
	if !reflect.DeepEqual(p.Wallets, m.cfgs) || (!m.loaded && m.wantGen == 0) {
		m.cfgs = append([]portfolio.WalletConfig(nil), p.Wallets...)
		m.stale = true
	}
	m.conv = nil
	m.convFor = m.Snap
	if u := m.Unit(); u != portfolio.UnitBTC && u != portfolio.UnitSat {
		m.conv = portfolio.NewConverter(p, u)
	}
	m.render()
}

// Load returns the command that reads the wallets' caches when the
// portfolio's wallets changed since the last read.
func (m *Model) Load() tea.Cmd {
	if !m.stale {
		return nil
	}
	m.stale = false
	if len(m.cfgs) == 0 {
		m.entries, m.loaded, m.wantGen = nil, true, 0
		m.selected = 0
		m.render()
		return nil
	}
	m.gen++
	m.wantGen = m.gen
	return loadAll(m.svc, m.gen, m.cfgs)
}

// Selected returns the ID of the selected wallet, or "".
func (m *Model) Selected() string {
	if m.selected < len(m.cfgs) {
		return m.cfgs[m.selected].ID
	}
	return ""
}

// SubView returns the sub-view on screen.
func (m *Model) SubView() View { return m.view }

// Offset returns the scroll position of the table on screen.
func (m *Model) Offset() int { return m.offset[m.view] }

// Syncing reports whether a sync is under way.
func (m *Model) Syncing() bool { return m.job != nil }

// Update handles keys, the mouse wheel and the replies of reads and syncs.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	m.render()
	return m, cmd
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		if m.send != nil {
			return m.sendKey(msg)
		}
		return m.key(msg)
	case feeEstimateMsg:
		if m.send != nil && m.send.id == msg.form {
			m.send.estimated(msg)
		}
	case sendBuiltMsg:
		return m.built(msg)
	case devprompt.Msg:
		return m.devicePrompt(msg)
	case signerOpenedMsg:
		return m.signerOpened(msg)
	case signedMsg:
		return m.signed(msg)
	case broadcastMsg:
		return m.broadcasted(msg)
	case tea.MouseMsg:
		if m.send != nil {
			return nil
		}
		switch msg.Button {
		case tea.MouseButtonWheelUp:
			m.scroll(-3)
		case tea.MouseButtonWheelDown:
			m.scroll(3)
		}
	case loadedMsg:
		if msg.gen != m.wantGen {
			return nil // the wallets changed while it read: a newer read follows
		}
		m.wantGen = 0
		m.entries, m.loaded = msg.entries, true
		if m.selected >= len(m.entries) {
			m.selected = max(0, len(m.entries)-1)
		}
		m.clampOffsets()
		for _, e := range m.entries {
			if e.cacheErr != nil {
				return common.Status(common.Warn, fmt.Sprintf("Wallet %s: %v; a sync rebuilds it", e.cfg.ID, e.cacheErr))
			}
		}
	case syncProgressMsg:
		if m.job == nil || msg.gen != m.job.gen {
			return nil
		}
		m.job.last, m.job.started = msg.p, true
		return m.job.listen()
	case syncedMsg:
		if m.job == nil || msg.gen != m.job.gen {
			return nil // cancelled, or replaced by a later sync
		}
		m.job.cancel()
		m.job = nil
		if msg.err != nil {
			return common.Status(common.Error, fmt.Sprintf("Sync of %s failed: %s", msg.id, firstLine(msg.err.Error())))
		}
		for i := range m.cfgs {
			if m.cfgs[i].ID == msg.id && i < len(m.entries) {
				m.entries[i] = msg.entry
			}
		}
		m.clampOffsets()
		e := msg.entry
		text := fmt.Sprintf("Synced %s to block %s: %s", msg.id, groupInt(int64(e.tip)), formatBTC(e.bal.Total()))
		if msg.warning != nil {
			return tea.Batch(common.Status(common.Warn, text+" (old cache discarded: "+firstLine(msg.warning.Error())+")"),
				m.updateHoldings(msg.id, e.bal.Total(), ""))
		}
		if save := m.updateHoldings(msg.id, e.bal.Total(), text); save != nil {
			return save // its status line says what was synced
		}
		return common.Status(common.Info, text)
	}
	return nil
}

// updateHoldings asks the root to save the synced balance into the BTC
// holdings that name the wallet, as `hardfolio wallet sync` does, so the
// dashboard and holdings show it; nothing when they hold it already.
func (m *Model) updateHoldings(id string, sats int64, synced string) tea.Cmd {
	p := m.Portfolio()
	if p == nil {
		return nil
	}
	next := p.WithWalletBalances(map[string]int64{id: sats})
	for i := range next.Holdings {
		if next.Holdings[i].Sats != p.Holdings[i].Sats {
			desc := "balance of wallet " + id
			if synced != "" {
				desc = synced + ", holdings updated"
			}
			return common.RequestSave(m.NextID(), next, desc)
		}
	}
	return nil
}

func (m *Model) key(msg tea.KeyMsg) tea.Cmd {
	km := m.Keys
	switch {
	case key.Matches(msg, km.Cancel):
		if m.job != nil {
			id := m.job.id
			m.job.cancel()
			m.job = nil
			return common.Status(common.Info, "Sync of "+id+" cancelled")
		}
	case len(m.cfgs) == 0:
		// The empty state has nothing to move through.
	case key.Matches(msg, km.NextWallet):
		m.selectWallet(m.selected + 1)
	case key.Matches(msg, km.PrevWallet):
		m.selectWallet(m.selected - 1)
	case key.Matches(msg, km.ViewReceive):
		m.view = Receive
	case key.Matches(msg, km.ViewAddresses):
		m.view = Addresses
	case key.Matches(msg, km.ViewUTXOs):
		m.view = UTXOs
	case key.Matches(msg, km.ViewHistory):
		m.view = History
	case key.Matches(msg, km.SyncWallet):
		return m.startSync()
	case key.Matches(msg, km.Send):
		return m.openSend()
	case key.Matches(msg, km.Up):
		m.scroll(-1)
	case key.Matches(msg, km.Down):
		m.scroll(1)
	case key.Matches(msg, km.PageUp):
		m.scroll(-m.tableRows())
	case key.Matches(msg, km.PageDown):
		m.scroll(m.tableRows())
	case key.Matches(msg, km.Top):
		m.scroll(-1 << 30)
	case key.Matches(msg, km.Bottom):
		m.scroll(1 << 30)
	}
	return nil
}

func (m *Model) selectWallet(i int) {
	if i < 0 || i >= len(m.cfgs) || i == m.selected {
		return
	}
	m.selected = i
	m.offset = [numViews]int{}
}

// startSync syncs the selected wallet in a command, or says how to sync
// it when the interface cannot.
func (m *Model) startSync() tea.Cmd {
	cfg := m.cfgs[m.selected]
	switch {
	case m.svc.Sync == nil:
		return common.Status(common.Info, "Sync from the command line: hardfolio wallet sync "+cfg.ID)
	case !m.svc.hasBackend(cfg):
		return common.Status(common.Warn, "Wallet "+cfg.ID+" has no backend to sync from")
	case m.job != nil && m.job.id == cfg.ID:
		return common.Status(common.Info, "Already syncing "+cfg.ID)
	}
	if m.job != nil {
		// One sync at a time: the new one replaces the old.
		m.job.cancel()
	}
	m.gen++
	ctx, cancel := context.WithCancel(context.Background())
	m.job = newSyncJob(m.gen, cfg.ID, cancel)
	return m.job.start(m.svc, ctx, cfg)
}

// rows is the number of rows of the table on view.
func (m *Model) rows() int {
	e := m.current()
	if e == nil {
		return 0
	}
	switch m.view {
	case Addresses:
		return len(e.addrs)
	case UTXOs:
		return len(e.utxos)
	case History:
		return len(e.history)
	}
	return 0
}

func (m *Model) scroll(n int) {
	if m.view == Receive {
		return
	}
	m.offset[m.view] += n
	m.clampOffsets()
}

func (m *Model) clampOffsets() {
	for v := range m.offset {
		saved := m.view
		m.view = View(v)
		hi := max(0, m.rows()-m.tableRows())
		m.offset[v] = min(max(m.offset[v], 0), hi)
		m.view = saved
	}
}

func (m *Model) current() *entry {
	if m.selected < len(m.entries) {
		return &m.entries[m.selected]
	}
	return nil
}

// ShortHelp lists the keys that act now.
func (m *Model) ShortHelp() []key.Binding {
	km := m.Keys
	if f := m.send; f != nil {
		submit := withHelp(km.Submit, "write PSBT")
		if m.Demo {
			submit = withHelp(km.Submit, "build PSBT")
		}
		switch {
		case f.result != nil:
			return m.summaryHelp()
		case f.focus != nil && f.focus.kind == kCoin:
			return []key.Binding{km.NextField, km.ToggleCoin, km.AddRecipient, submit, km.Cancel}
		case f.focus != nil && !f.focus.isText():
			return []key.Binding{km.NextField, km.NextOption, km.AddRecipient, submit, km.Cancel}
		}
		b := []key.Binding{km.NextField, km.AddRecipient}
		if len(f.recips) > 1 {
			b = append(b, km.RemoveRecipient)
		}
		return append(b, submit, km.Cancel)
	}
	if len(m.cfgs) == 0 {
		return nil
	}
	b := []key.Binding{km.ViewReceive, km.ViewAddresses, km.ViewUTXOs, km.ViewHistory}
	if m.job != nil {
		b = append(b, withHelp(km.Cancel, "cancel sync"))
	} else {
		b = append(b, km.SyncWallet)
	}
	b = append(b, withHelp(km.Send, "pay / send"))
	if len(m.cfgs) > 1 {
		b = append(b, km.NextWallet, km.PrevWallet)
	}
	return b
}

// FullHelp lists every key of the screen, in groups.
func (m *Model) FullHelp() [][]key.Binding {
	km := m.Keys
	return [][]key.Binding{km.Navigation(), append(km.Wallets(), withHelp(km.Cancel, "cancel sync")),
		append([]key.Binding{km.NextField, km.PrevField, km.NextOption}, append(km.SendForm(), withHelp(km.Submit, "write PSBT"), km.Cancel)...)}
}

// HelpGroupTitles names the groups of FullHelp.
func (m *Model) HelpGroupTitles() []string { return []string{"Moving", "Wallets", "Send form"} }

func withHelp(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

// value writes sats in the valuation unit on screen, or "" in BTC or
// sats, or when no price links bitcoin to the unit.
func (m *Model) value(sats int64) string {
	if m.conv == nil {
		return ""
	}
	v, ok := m.conv.Value(string(portfolio.UnitBTC), decimal.New(sats, -8))
	if !ok {
		return ""
	}
	return m.Unit().Format(v)
}
