package devices

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"codeberg.org/hardfolio/hardfolio/hw/device"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/apdu"
	"codeberg.org/hardfolio/hardfolio/hw/trezor"
	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/tui/common"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

// scriptChoice is a script type the import form offers, with the BIP 44
// purpose of its accounts.
type scriptChoice struct {
	kind    device.Kind
	typ     descriptor.ScriptType
	purpose uint32
	label   string
}

// scripts are the choices of the form, the default first.
var scripts = []scriptChoice{
	{device.WPKH, descriptor.WPKH, 84, "wpkh — native segwit (BIP 84, bc1q…)"},
	{device.SHWPKH, descriptor.SHWPKH, 49, "sh-wpkh — nested segwit (BIP 49, 3…)"},
	{device.PKH, descriptor.PKH, 44, "pkh — legacy (BIP 44, 1…)"},
	{device.TR, descriptor.TR, 86, "tr — taproot (BIP 86, bc1p…)"},
}

// maxAccount bounds the account number: it is a hardened step.
const maxAccount = 1<<31 - 1

// importForm asks which account of the selected device to import.
type importForm struct {
	info    device.Info
	script  int    // index in scripts
	account string // digits
	focus   int    // 0: script type, 1: account, 2: network (Trezor)
	// testnet picks the test network on a device without a per-network
	// app (a Trezor, where the path's coin type decides).
	testnet bool
	err     string
}

// fields is the number of the form's fields: a Trezor also asks for the
// network, which a Ledger's open app decides.
func (f *importForm) fields() int {
	if f.info.Vendor == "Trezor" {
		return 3
	}
	return 2
}

// network is the network and BIP 44 coin type of the account to import.
func (f *importForm) network() (descriptor.Network, uint32, error) {
	if f.info.Vendor == "Trezor" && f.testnet {
		return descriptor.Testnet, 1, nil
	}
	return appNetwork(f.info.App)
}

// importResult is an account read from a device, ready to save.
type importResult struct {
	info    device.Info
	script  scriptChoice
	account uint32
	path    []uint32
	net     descriptor.Network
	desc    *descriptor.Descriptor
	cfg     portfolio.WalletConfig
	exists  bool // the portfolio holds this wallet already
}

// appNetwork is the network of the Bitcoin app open on a device, and its
// BIP 44 coin type.
func appNetwork(app string) (descriptor.Network, uint32, error) {
	switch app {
	case "Bitcoin":
		return descriptor.Mainnet, 0, nil
	case "Bitcoin Test":
		return descriptor.Testnet, 1, nil
	}
	return 0, 0, apdu.ErrWrongApp
}

// Form returns whether the import form is open.
func (m *Model) Form() bool { return m.form != nil }

// Imported returns the descriptor read by the last import, while it is
// shown, or "".
func (m *Model) Imported() string {
	if m.result == nil {
		return ""
	}
	return m.result.desc.String()
}

func (m *Model) openForm() tea.Cmd {
	d := m.current()
	switch {
	case d == nil:
		return nil
	case d.Err != nil && !errors.Is(d.Err, trezor.ErrPINRequired) && !errors.Is(d.Err, trezor.ErrPassphraseRequired):
		// A Trezor waiting for its PIN or passphrase asks for it here.
		m.setMessage(common.Error, "This device cannot answer: "+deviceError(d.Err))
		return nil
	}
	if _, _, err := appNetwork(d.App); err != nil {
		m.setMessage(common.Error, "Open the Bitcoin app on the device first (it runs "+orDash(d.App)+").")
		return nil
	}
	m.form = &importForm{info: *d, account: "0"}
	m.verify = nil
	m.setMessage(common.Info, "")
	return nil
}

func (m *Model) formKey(msg tea.KeyMsg) tea.Cmd {
	km, f := m.Keys, m.form
	f.err = ""
	switch {
	case key.Matches(msg, km.Cancel):
		m.form = nil
	case key.Matches(msg, km.Accept), key.Matches(msg, km.Submit):
		return m.startImport()
	case key.Matches(msg, km.NextField):
		f.focus = (f.focus + 1) % f.fields()
	case key.Matches(msg, km.PrevField):
		f.focus = (f.focus - 1 + f.fields()) % f.fields()
	case f.focus == 2 && (key.Matches(msg, km.NextOption) || key.Matches(msg, km.PrevOption)):
		f.testnet = !f.testnet
	case f.focus == 0 && key.Matches(msg, km.NextOption):
		f.script = (f.script + 1) % len(scripts)
	case f.focus == 0 && key.Matches(msg, km.PrevOption):
		f.script = (f.script - 1 + len(scripts)) % len(scripts)
	case f.focus == 1 && (key.Matches(msg, km.NextOption) || key.Matches(msg, km.PrevOption)):
		n, _ := strconv.Atoi(f.account)
		if key.Matches(msg, km.NextOption) && n < maxAccount {
			n++
		} else if key.Matches(msg, km.PrevOption) && n > 0 {
			n--
		}
		f.account = strconv.Itoa(n)
	case f.focus == 1 && msg.Type == tea.KeyBackspace:
		if len(f.account) > 0 {
			f.account = f.account[:len(f.account)-1]
		}
	case f.focus == 1 && msg.Type == tea.KeyRunes && len(msg.Runes) == 1 && msg.Runes[0] >= '0' && msg.Runes[0] <= '9':
		if len(f.account) < 10 {
			f.account = trimZeros(f.account + string(msg.Runes[0]))
		}
	}
	return nil
}

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

// startImport reads the fingerprint and the account's xpub from the device
// in a command, and builds the descriptor there too.
func (m *Model) startImport() tea.Cmd {
	f := m.form
	n, err := strconv.ParseUint(f.account, 10, 32)
	if err != nil || n > maxAccount {
		f.err = "the account is a number from 0 to 2147483647"
		return nil
	}
	net, coin, err := f.network()
	if err != nil {
		f.err = deviceError(err)
		return nil
	}
	sc := scripts[f.script]
	account := uint32(n)
	path := []uint32{sc.purpose | device.Hardened, coin | device.Hardened, account | device.Hardened}
	// A Trezor's PIN or passphrase typed here may take a while: the same
	// bound as a confirmation on the device.
	timeout := readTimeout
	if f.info.Vendor == "Trezor" {
		timeout = confirmTimeout
	}
	ctx := m.startOp(opImport, timeout)
	m.setMessage(common.Info, "")
	gen, open, info, p := m.opGen, m.opener(), f.info, m.Portfolio()
	return tea.Batch(func() tea.Msg {
		res, err := readAccount(ctx, open, info, sc, account, path, net, p)
		return importedMsg{gen: gen, res: res, err: err}
	}, m.listen(ctx, info.Vendor))
}

// readAccount opens the device, reads its fingerprint and the xpub at
// path, and builds the account's descriptor and wallet entry.
func readAccount(ctx context.Context, open func(context.Context, string) (device.Device, error),
	info device.Info, sc scriptChoice, account uint32, path []uint32, net descriptor.Network, p *portfolio.Portfolio,
) (*importResult, error) {
	dev, err := open(ctx, info.URI)
	if err != nil {
		return nil, err
	}
	defer dev.Close()
	fpr, err := dev.Fingerprint(ctx)
	if err != nil {
		return nil, err
	}
	xpub, err := dev.Xpub(ctx, path, false)
	if err != nil {
		return nil, err
	}
	origin := descriptor.KeyOrigin{Fingerprint: [4]byte{byte(fpr >> 24), byte(fpr >> 16), byte(fpr >> 8), byte(fpr)}, Path: path}
	d, err := descriptor.FromXpub(xpub, sc.typ, &origin, net)
	if err != nil {
		return nil, fmt.Errorf("the device's key does not make a descriptor: %w", err)
	}
	res := &importResult{info: info, script: sc, account: account, path: path, net: net, desc: d}
	fprHex := fmt.Sprintf("%08x", fpr)
	res.cfg = portfolio.WalletConfig{
		ID:         fmt.Sprintf("ledger-%s-%d-%d", fprHex, sc.purpose, account),
		Name:       fmt.Sprintf("%s %s, %s account %d", orDash(info.Vendor), orDash(info.Model), sc.kind, account),
		Descriptor: d.String(),
		Network:    net.String(),
	}
	for _, w := range p.Wallets {
		if w.ID == res.cfg.ID || w.Descriptor == res.cfg.Descriptor {
			res.exists = true
		}
	}
	return res, nil
}

func (m *Model) resultKey(msg tea.KeyMsg) tea.Cmd {
	km := m.Keys
	switch {
	case key.Matches(msg, km.Cancel):
		m.result = nil
		m.setMessage(common.Info, "")
	case key.Matches(msg, km.Submit):
		return m.save()
	}
	return nil
}

// save asks the root to add the imported wallet to the portfolio; the
// root's undo takes it out again.
func (m *Model) save() tea.Cmd {
	r := m.result
	if r.exists {
		m.setMessage(common.Warn, "The portfolio already holds this wallet ("+r.cfg.ID+").")
		return nil
	}
	if why := m.EditBlocked(); why != "" {
		m.setMessage(common.Warn, why)
		return nil
	}
	next, err := m.Portfolio().WithWallet(r.cfg, false)
	if err != nil {
		m.setMessage(common.Error, "Cannot add the wallet: "+err.Error())
		return nil
	}
	m.saveID = m.NextID()
	return common.RequestSave(m.saveID, next, "Added wallet "+r.cfg.ID)
}

// deviceError writes a device error with the hint that says what to do.
func deviceError(err error) string {
	if errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "the device did not answer in time"
	}
	s := err.Error()
	if h := device.Hint(err); h != "" {
		s += ". " + h
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
