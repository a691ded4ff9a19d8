// Package devices is the Devices screen: the hardware wallets attached over
// USB and the emulators named at start-up, refreshed every two seconds
// while the screen is shown, so plugging a device in or unlocking it shows
// up by itself. For the selected device it imports an account (script type
// and account number in, a watch-only wallet with its descriptor out) and
// shows a receive address of a wallet of this device on the device's own
// screen, comparing the device's answer with the address derived here.
//
// Every exchange with a device runs in a command. Listing, importing and
// verifying each carry a generation number, and the screen drops replies
// to requests it has since replaced or cancelled.
package devices

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"codeberg.org/hardfolio/hardfolio/hw/device"
	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/tui/common"
	"codeberg.org/hardfolio/hardfolio/tui/devprompt"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

// DefaultRefresh is how often the device list is read while the screen
// is shown.
const DefaultRefresh = 2 * time.Second

// Service is what the screen needs from the hardware layer. The zero value
// uses a device.Hub and this build's USB support.
type Service struct {
	// List enumerates USB devices and the emulators at speculos
	// (host:port); nil means a device.Hub's List.
	List func(ctx context.Context, speculos []string) []device.Info
	// Open opens the device at uri; nil means a device.Hub's Open with
	// the screen's prompter (OpenPrompted).
	Open func(ctx context.Context, uri string) (device.Device, error)
	// OpenPrompted opens the device at uri with p answering what the
	// device asks the user (a Trezor's PIN, passphrase, confirmations);
	// it is used instead of Open when set. nil with Open nil means a
	// device.Hub's.
	OpenPrompted func(ctx context.Context, uri string, p device.Prompter) (device.Device, error)
	// HIDSupported reports whether USB devices can be reached; nil means
	// device.HIDSupported.
	HIDSupported func() bool
	// Refresh is the interval between two listings while the screen is
	// shown: 0 means DefaultRefresh, a negative value lists only when the
	// screen is shown (for tests, which run commands synchronously).
	Refresh time.Duration
	// NextReceive gives a wallet's next unused receive address from its
	// last sync, the one to check on the device; nil means address 0. It
	// may read files: the screen calls it from a command.
	NextReceive func(cfg portfolio.WalletConfig) (wallet.AddressInfo, error)
}

func (s Service) withDefaults() Service {
	if s.List == nil {
		s.List = device.NewHub().List
	}
	if s.Open == nil && s.OpenPrompted == nil {
		s.OpenPrompted = func(ctx context.Context, uri string, p device.Prompter) (device.Device, error) {
			hub := device.NewHub()
			hub.Prompter = p
			return hub.Open(ctx, uri)
		}
	}
	if s.HIDSupported == nil {
		s.HIDSupported = device.HIDSupported
	}
	if s.Refresh == 0 {
		s.Refresh = DefaultRefresh
	}
	return s
}

// Timeouts of device exchanges that need no confirmation, and of a
// confirmation on the device.
const (
	readTimeout    = 30 * time.Second
	confirmTimeout = 5 * time.Minute
)

// Model is the Devices screen.
type Model struct {
	*common.Context
	svc      Service
	speculos []string
	hid      bool

	width, height int

	// The device list: listGen numbers listings, and a reply or tick of an
	// older one is dropped. A listing chain stops when its tick reaches
	// another screen (the root sends messages to the active screen only)
	// and starts again from Load when the screen is shown.
	infos    []device.Info
	listed   bool
	listGen  int
	selected int
	selURI   string // the URI of the selected device, kept across listings

	// The import form, then the descriptor it read, when open.
	form   *importForm
	result *importResult

	// The running device operation (import or verify), if any: opGen
	// numbers operations; cancel ends the running one.
	opGen  int
	op     opKind
	opCtx  context.Context
	cancel context.CancelFunc

	// What the device asks the user during an operation (PIN, passphrase,
	// confirm on the device): prompter is the devices' device.Prompter,
	// prompt what the screen draws of it.
	prompter *devprompt.Prompter
	prompt   devprompt.Model

	// The verification of a wallet's address: wallet picks among the
	// wallets of the selected device.
	wallet int
	verify *verifyResult
	saveID int // the save request of the imported wallet

	// deviceWallets' cache, for a snapshot and a fingerprint.
	dw     []devWallet
	dwSnap *common.Snapshot
	dwFpr  uint32
	// next holds each wallet's next unused receive address, by wallet ID,
	// as read for nextGen.
	next    map[string]nextAddr
	nextGen int
	message string
	msgLvl  common.Level

	frame string
}

type opKind int

const (
	opNone opKind = iota
	opImport
	opVerify
)

// New returns the Devices screen; speculos lists the emulator addresses
// (host:port) to list besides USB devices.
func New(ctx *common.Context, svc Service, speculos []string) *Model {
	svc = svc.withDefaults()
	m := &Model{Context: ctx, svc: svc, speculos: append([]string(nil), speculos...), hid: svc.HIDSupported()}
	m.prompter = devprompt.New(m.Title())
	return m
}

// opener returns how the running operation opens a device: with the
// screen's prompter when the service can take one.
func (m *Model) opener() func(context.Context, string) (device.Device, error) {
	if open, p := m.svc.OpenPrompted, m.prompter; open != nil {
		return func(ctx context.Context, uri string) (device.Device, error) { return open(ctx, uri, p) }
	}
	return m.svc.Open
}

// Prompt returns what the screen shows of the device's questions.
func (m *Model) Prompt() *devprompt.Model { return &m.prompt }

// Init does nothing: devices are listed when the screen is first shown.
func (m *Model) Init() tea.Cmd { return nil }

// Title is the tab label.
func (m *Model) Title() string { return "Devices" }

// Capturing reports whether the import form or its result is open, or a
// device operation runs: keys then go to the screen.
func (m *Model) Capturing() bool { return m.form != nil || m.result != nil || m.op != opNone }

// SetSize lays the screen out for its new area.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	m.render()
}

// Refresh picks up a new snapshot: the wallets of a device may have
// changed.
func (m *Model) Refresh() {
	if n := len(m.deviceWallets()); m.wallet >= n {
		m.wallet = max(0, n-1)
	}
	m.render()
}

// Load starts a listing, and with it the refresh ticks, whenever the
// screen is shown or its snapshot changes. An older listing chain is
// dropped by its generation.
func (m *Model) Load() tea.Cmd {
	m.listGen++
	return tea.Batch(m.list(m.listGen), m.readNext())
}

// nextAddr is a wallet's next unused receive address.
type nextAddr struct {
	index uint32
	addr  string
}

type nextMsg struct {
	gen  int
	next map[string]nextAddr
}

// readNext reads, in a command, the next unused receive address of every
// wallet of the portfolio from its last sync.
func (m *Model) readNext() tea.Cmd {
	if m.svc.NextReceive == nil || m.Snap == nil {
		return nil
	}
	m.nextGen++
	gen, get, cfgs := m.nextGen, m.svc.NextReceive, m.Portfolio().Wallets
	return func() tea.Msg {
		out := map[string]nextAddr{}
		for _, c := range cfgs {
			if a, err := get(c); err == nil {
				out[c.ID] = nextAddr{index: a.Index, addr: a.Address}
			}
		}
		return nextMsg{gen: gen, next: out}
	}
}

// Devices returns the devices listed last.
func (m *Model) Devices() []device.Info { return m.infos }

// Busy reports whether a device operation is under way.
func (m *Model) Busy() bool { return m.op != opNone }

// Message returns the screen's last message (import, verification).
func (m *Model) Message() string { return m.message }

// Verified returns the last verification's outcome, or nil.
func (m *Model) Verified() (address, device string, match bool, ok bool) {
	if m.verify == nil || m.verify.err != nil {
		return "", "", false, false
	}
	return m.verify.local, m.verify.device, m.verify.local == m.verify.device, true
}

// ---- messages -------------------------------------------------------------

type listedMsg struct {
	gen   int
	infos []device.Info
}

type tickMsg struct{ gen int }

type importedMsg struct {
	gen int
	res *importResult
	err error
}

type verifiedMsg struct {
	gen int
	res *verifyResult
}

func (m *Model) list(gen int) tea.Cmd {
	svc, addrs := m.svc, m.speculos
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		defer cancel()
		return listedMsg{gen: gen, infos: svc.List(ctx, addrs)}
	}
}

func (m *Model) tick(gen int) tea.Cmd {
	if m.svc.Refresh < 0 {
		return nil
	}
	return tea.Tick(m.svc.Refresh, func(time.Time) tea.Msg { return tickMsg{gen: gen} })
}

// ---- update ---------------------------------------------------------------

// Update handles keys and the replies of listings and device operations.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	m.render()
	return m, cmd
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return m.key(msg)
	case devprompt.Msg:
		if m.op == opNone {
			return nil // its operation ended: the device was told to stop
		}
		m.prompt.Open(msg)
		return m.prompter.Listen(m.opCtx)
	case listedMsg:
		if msg.gen != m.listGen {
			return nil
		}
		m.setDevices(msg.infos)
		return m.tick(msg.gen)
	case tickMsg:
		if msg.gen != m.listGen {
			return nil
		}
		if m.op != opNone {
			// Leave the device to the operation; list again afterwards.
			return m.tick(msg.gen)
		}
		return m.list(msg.gen)
	case nextMsg:
		if msg.gen == m.nextGen {
			m.next = msg.next
			m.dwSnap = nil // work the device's wallets out again
		}
		return nil
	case importedMsg:
		if msg.gen != m.opGen || m.op != opImport {
			return nil
		}
		m.endOp()
		if msg.err != nil {
			m.setMessage(common.Error, "Could not read the account: "+deviceError(msg.err))
			return nil
		}
		m.form = nil
		m.result = msg.res
		m.setMessage(common.Info, "")
		return nil
	case verifiedMsg:
		if msg.gen != m.opGen || m.op != opVerify {
			return nil
		}
		m.endOp()
		m.verify = msg.res
		switch {
		case msg.res.err != nil:
			m.setMessage(common.Error, "Address not shown: "+deviceError(msg.res.err))
		case msg.res.local != msg.res.device:
			m.setMessage(common.Error, "MISMATCH: the device shows another address than hardfolio derived. Do not use this address.")
		default:
			m.setMessage(common.Info, "Address confirmed: the device shows the same address as hardfolio.")
		}
		return nil
	case common.SavedMsg:
		if msg.ID != m.saveID || m.saveID == 0 {
			return nil
		}
		m.saveID = 0
		if msg.Err != nil {
			m.setMessage(common.Error, "Not saved: "+msg.Err.Error())
			return nil
		}
		m.result = nil
		m.setMessage(common.Info, msg.Desc+": the Wallets screen shows it.")
		return nil
	}
	return nil
}

func (m *Model) setMessage(l common.Level, s string) { m.message, m.msgLvl = s, l }

func (m *Model) setDevices(infos []device.Info) {
	m.infos, m.listed = infos, true
	m.selected = 0
	for i, d := range infos {
		if d.URI == m.selURI {
			m.selected = i
		}
	}
	if m.selected < len(infos) {
		m.selURI = infos[m.selected].URI
	}
	if n := len(m.deviceWallets()); m.wallet >= n {
		m.wallet = max(0, n-1)
	}
}

func (m *Model) startOp(k opKind, timeout time.Duration) context.Context {
	m.opGen++
	m.op = k
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	m.cancel, m.opCtx = cancel, ctx
	return ctx
}

func (m *Model) endOp() {
	if m.cancel != nil {
		m.cancel()
	}
	m.prompt.Reset()
	m.op, m.cancel, m.opCtx = opNone, nil, nil
}

func (m *Model) key(msg tea.KeyMsg) tea.Cmd {
	km := m.Keys
	if m.op != opNone {
		if m.prompt.Key(msg, km) {
			return nil // esc there cancels the prompt, and with it the request
		}
		if key.Matches(msg, km.Cancel) {
			what := "Import"
			if m.op == opVerify {
				what = "Address check"
			}
			m.endOp()
			m.setMessage(common.Warn, what+" cancelled")
		}
		return nil
	}
	switch {
	case m.form != nil:
		return m.formKey(msg)
	case m.result != nil:
		return m.resultKey(msg)
	}
	switch {
	case key.Matches(msg, km.Up):
		m.selectDevice(m.selected - 1)
	case key.Matches(msg, km.Down):
		m.selectDevice(m.selected + 1)
	case key.Matches(msg, km.Top):
		m.selectDevice(0)
	case key.Matches(msg, km.Bottom):
		m.selectDevice(len(m.infos) - 1)
	case key.Matches(msg, km.NextWallet):
		m.pickWallet(m.wallet + 1)
	case key.Matches(msg, km.PrevWallet):
		m.pickWallet(m.wallet - 1)
	case key.Matches(msg, km.ImportAccount):
		return m.openForm()
	case key.Matches(msg, km.VerifyAddress):
		return m.startVerify()
	case key.Matches(msg, km.Cancel):
		m.verify = nil
		m.setMessage(common.Info, "")
	}
	return nil
}

func (m *Model) selectDevice(i int) {
	if i < 0 || i >= len(m.infos) || i == m.selected {
		return
	}
	m.selected = i
	m.selURI = m.infos[i].URI
	m.wallet = 0
	m.verify = nil
	m.setMessage(common.Info, "")
}

func (m *Model) pickWallet(i int) {
	if i < 0 || i >= len(m.deviceWallets()) {
		return
	}
	m.wallet = i
	m.verify = nil
	m.setMessage(common.Info, "")
}

// current returns the selected device, or nil.
func (m *Model) current() *device.Info {
	if m.selected < len(m.infos) {
		return &m.infos[m.selected]
	}
	return nil
}

// ---- wallets of the selected device ----------------------------------------

// devWallet is a wallet of the portfolio whose key comes from the selected
// device, with its next receive address derived here.
type devWallet struct {
	cfg   portfolio.WalletConfig
	ref   device.DescriptorRef
	index uint32
	addr  string
	err   error

	// A multisig wallet the device is a cosigner of: its policy
	// ("2-of-3 wsh sortedmulti") and its registration on the device.
	policy string
	ms     *device.RegisteredMultisig
}

// deviceWallets lists the portfolio's wallets whose key origin is the
// selected device's master fingerprint. The list is worked out once per
// snapshot and device: it parses descriptors and derives an address each.
func (m *Model) deviceWallets() []devWallet {
	d := m.current()
	if d == nil || !d.HasFingerprint || m.Snap == nil {
		return nil
	}
	if m.dwSnap == m.Snap && m.dwFpr == d.Fingerprint {
		return m.dw
	}
	m.dwSnap, m.dwFpr = m.Snap, d.Fingerprint
	m.dw = m.findWallets(d.Fingerprint)
	return m.dw
}

func (m *Model) findWallets(fpr uint32) []devWallet {
	var out []devWallet
	for _, w := range m.Portfolio().Wallets {
		net, err := descriptor.ParseNetwork(w.Network)
		if err != nil {
			continue
		}
		if descriptor.IsMultisig(w.Descriptor) {
			if dw, ok := m.multisigWallet(w, net, fpr); ok {
				out = append(out, dw)
			}
			continue
		}
		desc, err := descriptor.Parse(w.Descriptor, net)
		if err != nil {
			continue
		}
		o, ok := desc.Origin()
		if !ok || fingerprint(o.Fingerprint) != fpr {
			continue
		}
		dw := devWallet{cfg: w, ref: device.DescriptorRef{
			Kind: kinds[desc.Type()], Fingerprint: fingerprint(o.Fingerprint), Account: o.Path, Xpub: desc.ExtendedKey(),
		}}
		if n, ok := m.next[w.ID]; ok {
			dw.index = n.index // the next unused address of the last sync
		}
		if x, err := desc.Derive(false, dw.index); err != nil {
			dw.err = err
		} else {
			dw.addr = x.Address
		}
		out = append(out, dw)
	}
	return out
}

// multisigWallet is the devWallet of a multisig wallet of the portfolio
// that the device with fingerprint fpr is a cosigner of (ok false when it
// is not): its next receive address, and the wallet's registration on
// the device, without which the device cannot show it.
func (m *Model) multisigWallet(cfg portfolio.WalletConfig, net descriptor.Network, fpr uint32) (devWallet, bool) {
	ms, err := descriptor.ParseMultisig(cfg.Descriptor, net)
	if err != nil {
		return devWallet{}, false
	}
	ours := false
	for _, k := range ms.Keys() {
		ours = ours || fingerprint(k.Origin.Fingerprint) == fpr
	}
	if !ours {
		return devWallet{}, false
	}
	dw := devWallet{cfg: cfg, policy: (&wallet.Wallet{Multisig: ms}).Kind()}
	if n, ok := m.next[cfg.ID]; ok {
		dw.index = n.index
	}
	r := m.Portfolio().Registration(ms.String(), fmt.Sprintf("%08x", fpr))
	var data []byte
	if r != nil {
		data, err = hex.DecodeString(r.Data)
	}
	switch x, derr := ms.Derive(false, dw.index); {
	case derr != nil:
		dw.err = derr
	case r == nil || err != nil:
		dw.err = fmt.Errorf("not registered on this device: hardfolio hw register --device URI --wallet %s", cfg.ID)
	default:
		dw.addr = x.Address
		dw.ms = &device.RegisteredMultisig{Multisig: common.DeviceMultisig(ms, r.Name), Registration: data}
	}
	return dw, true
}

func fingerprint(b [4]byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

var kinds = map[descriptor.ScriptType]device.Kind{
	descriptor.PKH: device.PKH, descriptor.SHWPKH: device.SHWPKH, descriptor.WPKH: device.WPKH, descriptor.TR: device.TR,
}

// verifyResult is what the device showed for a wallet's address.
type verifyResult struct {
	walletID string
	index    uint32
	local    string
	device   string
	err      error
}

// startVerify asks the device to show the selected wallet's next receive
// address, in a command; esc cancels it.
func (m *Model) startVerify() tea.Cmd {
	d := m.current()
	ws := m.deviceWallets()
	switch {
	case d == nil:
		return nil
	case len(ws) == 0:
		m.setMessage(common.Warn, "No wallet of the portfolio comes from this device: import an account first ("+m.Keys.ImportAccount.Help().Key+")")
		return nil
	case ws[m.wallet].err != nil:
		m.setMessage(common.Error, "Cannot derive the address: "+ws[m.wallet].err.Error())
		return nil
	}
	w := ws[m.wallet]
	m.verify = nil
	m.setMessage(common.Info, "")
	ctx := m.startOp(opVerify, confirmTimeout)
	gen, open, uri := m.opGen, m.opener(), d.URI
	return tea.Batch(func() tea.Msg {
		res := &verifyResult{walletID: w.cfg.ID, index: w.index, local: w.addr}
		dev, err := open(ctx, uri)
		if err != nil {
			res.err = err
			return verifiedMsg{gen: gen, res: res}
		}
		defer dev.Close()
		if w.ms == nil {
			res.device, res.err = dev.Address(ctx, w.ref, false, w.index, true)
			return verifiedMsg{gen: gen, res: res}
		}
		md, ok := dev.(device.MultisigDevice)
		if !ok {
			res.err = fmt.Errorf("%w: this device does not show multisig addresses", device.ErrUnsupported)
			return verifiedMsg{gen: gen, res: res}
		}
		res.device, res.err = md.MultisigAddress(ctx, w.ms.Multisig, w.ms.Registration, false, w.index, true)
		return verifiedMsg{gen: gen, res: res}
	}, m.listen(ctx, d.Vendor))
}

// listen waits for the device's questions during an operation, for the
// devices that ask any (a Trezor's PIN, passphrase, confirmations).
func (m *Model) listen(ctx context.Context, vendor string) tea.Cmd {
	if vendor != "Trezor" {
		return nil
	}
	return m.prompter.Listen(ctx)
}

// ShortHelp lists the keys that act now.
func (m *Model) ShortHelp() []key.Binding {
	km := m.Keys
	switch {
	case m.prompt.Active():
		return []key.Binding{withHelp(km.Accept, "send"), withHelp(km.Cancel, "cancel")}
	case m.op != opNone:
		return []key.Binding{withHelp(km.Cancel, "cancel")}
	case m.form != nil:
		return []key.Binding{km.NextField, km.NextOption, withHelp(km.Accept, "read the xpub"), km.Cancel}
	case m.result != nil:
		return []key.Binding{withHelp(km.Submit, "save as a wallet"), km.Cancel}
	case len(m.infos) == 0:
		return nil
	}
	b := []key.Binding{withHelp(km.ImportAccount, "import account")}
	if n := len(m.deviceWallets()); n > 0 {
		b = append(b, withHelp(km.VerifyAddress, "show address on device"))
		if n > 1 {
			b = append(b, km.NextWallet, km.PrevWallet)
		}
	}
	if len(m.infos) > 1 {
		b = append(b, km.Up, km.Down)
	}
	return b
}

// FullHelp lists every key of the screen, in groups.
func (m *Model) FullHelp() [][]key.Binding {
	km := m.Keys
	return [][]key.Binding{
		{km.Up, km.Down, km.Top, km.Bottom},
		append(km.Devices(), withHelp(km.Cancel, "cancel")),
		{km.NextField, km.PrevField, km.NextOption, km.PrevOption, withHelp(km.Accept, "read the xpub"), withHelp(km.Submit, "save as a wallet"), km.Cancel},
	}
}

// HelpGroupTitles names the groups of FullHelp.
func (m *Model) HelpGroupTitles() []string { return []string{"Moving", "Devices", "Import"} }

func withHelp(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}
