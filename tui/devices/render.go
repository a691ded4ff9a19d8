package devices

import (
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"codeberg.org/hardfolio/hardfolio/hw/device"
	"codeberg.org/hardfolio/hardfolio/hw/trezor"
	"codeberg.org/hardfolio/hardfolio/tui/common"
)

// View returns the frame the last Update drew.
func (m *Model) View() string { return m.frame }

func (m *Model) render() {
	if m.width <= 0 || m.height <= 0 {
		m.frame = ""
		return
	}
	var lines []string
	switch {
	case !m.listed:
		lines = []string{"", " " + m.Styles.Text.Muted.Render("Looking for devices…")}
	case len(m.infos) == 0:
		lines = m.emptyState()
	default:
		lines = m.listLines()
		lines = append(lines, "")
		switch {
		case m.prompt.Active():
			vendorName := "device"
			if d := m.current(); d != nil {
				vendorName = vendor(d.Vendor)
			}
			for _, l := range m.prompt.View(m.Styles, m.Keys, vendorName) {
				lines = append(lines, " "+l)
			}
		case m.form != nil:
			lines = append(lines, m.formLines()...)
		case m.result != nil:
			lines = append(lines, m.resultLines()...)
		default:
			lines = append(lines, m.detailLines()...)
		}
	}
	lines = append(lines, m.statusLines()...)
	if len(lines) > m.height {
		lines = lines[:m.height]
	}
	for i, l := range lines {
		if common.Width(l) > m.width {
			lines[i] = ansi.Truncate(l, m.width, "")
		}
	}
	m.frame = strings.Join(lines, "\n")
}

func (m *Model) textWidth() int { return min(100, max(20, m.width-2)) }

func (m *Model) wrap(s string, indent int) []string {
	return strings.Split(ansi.Wordwrap(s, m.textWidth()-indent, ""), "\n")
}

// emptyState says how to get a device listed.
func (m *Model) emptyState() []string {
	st := m.Styles
	var out []string
	out = append(out, "", " "+st.Text.Title.Render("No device found"), "")
	if !m.hid {
		for _, l := range m.wrap("This build of hardfolio cannot reach USB devices (it was built without cgo): only emulators can be used.", 0) {
			out = append(out, " "+st.Text.Warn.Render(l))
		}
		out = append(out, "")
	}
	steps := []string{
		"Plug in your Ledger or Trezor and unlock it with its PIN.",
		"On a Ledger, open the Bitcoin app (Bitcoin Test for testnet). A Trezor other than a Trezor One with HID firmware is reached through the Trezor bridge: keep Trezor Suite running. The list refreshes by itself.",
		"On Linux, a device that stays missing usually needs udev rules: hardfolio hw udev prints them and how to install them.",
		"No hardware at hand? hardfolio sim ledger and hardfolio sim trezor serve simulated devices (with public test seeds) to try hardfolio with.",
	}
	for _, s := range steps {
		for i, l := range m.wrap(s, 4) {
			prefix := "    "
			if i == 0 {
				prefix = "  • "
			}
			out = append(out, " "+st.Text.Normal.Render(prefix+l))
		}
	}
	if len(m.speculos) > 0 {
		out = append(out, "")
		for _, l := range m.wrap("Emulators looked for: "+strings.Join(m.speculos, ", "), 0) {
			out = append(out, " "+st.Text.Muted.Render(l))
		}
	}
	return out
}

// Column widths of the device list.
const (
	colModel = 12
	colApp   = 20
	colFpr   = 11
)

func (m *Model) listLines() []string {
	st := m.Styles
	header := "  " + common.PadRight("Device", colModel) + " " + common.PadRight("App", colApp) + " " +
		common.PadRight("Fingerprint", colFpr) + " " + "URI"
	out := []string{st.Table.Header.Render(header)}
	for i, d := range m.infos {
		marker := "  "
		if i == m.selected {
			marker = "› "
		}
		app := d.App
		if d.AppVersion != "" {
			app += " " + d.AppVersion
		}
		fpr := d.FingerprintHex()
		if fpr == "" {
			fpr = "—"
		}
		row := marker + common.PadRight(orDash(d.Model), colModel) + " " + common.PadRight(orDash(app), colApp) + " " +
			common.PadRight(fpr, colFpr) + " " + d.URI
		if i == m.selected {
			out = append(out, st.Table.Selected.Render(common.PadRight(row, m.width)))
		} else {
			out = append(out, st.Table.Row.Render(row))
		}
		if d.Err != nil {
			for _, l := range m.wrap(d.Err.Error(), 4) {
				out = append(out, "    "+st.Text.Error.Render(l))
			}
			if h := m.hint(d.Err); h != "" {
				for _, l := range m.wrap(h, 4) {
					out = append(out, "    "+st.Text.Warn.Render(l))
				}
			}
		}
	}
	return out
}

// detailLines shows what can be done with the selected device: import an
// account, and check the address of each wallet that comes from it.
func (m *Model) detailLines() []string {
	st, km := m.Styles, m.Keys
	d := m.current()
	if d == nil {
		return nil
	}
	if d.Err != nil || !d.HasFingerprint {
		return nil
	}
	out := []string{" " + st.Text.Title.Render("Wallets from this device") + st.Text.Muted.Render(" · fingerprint "+d.FingerprintHex())}
	ws := m.deviceWallets()
	if len(ws) == 0 {
		for _, l := range m.wrap(fmt.Sprintf("None yet. Press %s to import an account: hardfolio reads its extended public key and keeps a watch-only wallet.", km.ImportAccount.Help().Key), 2) {
			out = append(out, "   "+st.Text.Normal.Render(l))
		}
		return out
	}
	for i, w := range ws {
		marker := "   "
		if i == m.wallet {
			marker = " › "
		}
		line := marker + st.Text.Strong.Render(w.cfg.ID) + st.Text.Muted.Render(" "+w.cfg.Network)
		if w.policy != "" {
			line += st.Text.Muted.Render(" · " + w.policy + ", a cosigner")
		}
		out = append(out, line)
		if i != m.wallet {
			continue
		}
		if w.err != nil {
			out = append(out, "     "+st.Text.Error.Render(w.err.Error()))
			continue
		}
		out = append(out, "     "+st.Text.Muted.Render(fmt.Sprintf("next unused receive address #%d: ", w.index))+st.Text.Normal.Render(w.addr))
	}
	out = append(out, "")
	switch {
	case m.op == opVerify:
		out = append(out, " "+st.Text.Warn.Render("Confirm the address on your "+vendor(d.Vendor)+"… (esc cancels)"))
	case m.verify != nil && m.verify.err == nil && m.verify.local != m.verify.device:
		out = append(out,
			" "+st.Text.Error.Render("!!! ADDRESS MISMATCH — DO NOT USE THIS ADDRESS !!!"),
			"   "+st.Text.Muted.Render("hardfolio: ")+st.Text.Normal.Render(m.verify.local),
			"   "+st.Text.Muted.Render("device:    ")+st.Text.Error.Render(m.verify.device))
		for _, l := range m.wrap("The wallet's descriptor does not match the keys on this device. Check the wallet before receiving anything.", 2) {
			out = append(out, "   "+st.Text.Error.Render(l))
		}
	case m.verify != nil && m.verify.err == nil:
		out = append(out, " "+st.Text.Good.Render("✓ The device showed the same address: "+m.verify.device))
	default:
		out = append(out, " "+st.Text.Muted.Render(fmt.Sprintf("Press %s to show the receive address on the device and compare it with the one above.", km.VerifyAddress.Help().Key)))
	}
	return out
}

func (m *Model) formLines() []string {
	st, km, f := m.Styles, m.Keys, m.form
	out := []string{" " + st.Text.Title.Render("Import an account") + st.Text.Muted.Render(" from "+orDash(f.info.Model)+" "+f.info.FingerprintHex()), ""}
	field := func(i int, label, value string) string {
		marker, ls := "   ", st.Form.Label
		if f.focus == i {
			marker, ls = " "+st.Form.Marker.Render("›")+" ", st.Form.LabelFocused
		}
		return marker + ls.Render(common.PadRight(label, 12)) + value
	}
	sc := scripts[f.script]
	out = append(out,
		field(0, "Script type", st.Form.OptionArrows.Render("‹ ")+st.Form.Option.Render(sc.label)+st.Form.OptionArrows.Render(" ›")),
		field(1, "Account", st.Form.Input.Render(f.account)+st.Form.Cursor.Reverse(f.focus == 1).Render(" ")))
	net, coin, _ := f.network()
	if f.fields() == 3 {
		out = append(out, field(2, "Network", st.Form.OptionArrows.Render("‹ ")+st.Form.Option.Render(net.String())+st.Form.OptionArrows.Render(" ›")))
	}
	n := f.account
	if n == "" {
		n = "0"
	}
	from := f.info.App + " app"
	if f.fields() == 3 {
		from = "coin type " + fmt.Sprint(coin) + ": " + net.String()
	}
	out = append(out, "", "   "+st.Form.Hint.Render(fmt.Sprintf("Path m/%dh/%dh/%sh (%s)", sc.purpose, coin, n, from)))
	if f.err != "" {
		out = append(out, "   "+st.Form.Error.Render(f.err))
	}
	out = append(out, "")
	if m.op == opImport {
		out = append(out, " "+st.Text.Warn.Render("Reading the xpub from your "+vendor(m.form.info.Vendor)+"… (esc cancels)"))
	} else {
		out = append(out, " "+st.Text.Muted.Render(fmt.Sprintf("%s reads the extended public key; nothing is shown on the device.", km.Accept.Help().Key)))
	}
	return out
}

func (m *Model) resultLines() []string {
	st, km, r := m.Styles, m.Keys, m.result
	out := []string{" " + st.Text.Title.Render("Account read from the device"), ""}
	kv := func(k, v string) string {
		return "   " + st.Text.Muted.Render(common.PadRight(k, 11)) + st.Text.Normal.Render(v)
	}
	out = append(out,
		kv("Wallet ID", r.cfg.ID),
		kv("Name", r.cfg.Name),
		kv("Network", r.cfg.Network),
		kv("Path", device.FormatPath(r.path)),
		"", "   "+st.Text.Muted.Render("Descriptor"))
	w := max(10, m.width-5)
	for _, l := range strings.Split(ansi.Hardwrap(r.desc.String(), w, false), "\n") {
		out = append(out, "   "+st.Text.Strong.Render(l))
	}
	out = append(out, "")
	if r.exists {
		out = append(out, " "+st.Text.Warn.Render("The portfolio already holds this wallet."))
	} else {
		out = append(out, " "+st.Text.Muted.Render(fmt.Sprintf("%s saves it as a watch-only wallet (%s undoes), %s discards it.",
			km.Submit.Help().Key, km.Undo.Help().Key, km.Cancel.Help().Key)))
	}
	return out
}

// statusLines is the screen's last message, below everything else.
func (m *Model) statusLines() []string {
	if m.message == "" {
		return nil
	}
	st := m.Styles
	style := st.Text.Normal
	switch m.msgLvl {
	case common.Warn:
		style = st.Text.Warn
	case common.Error:
		style = st.Text.Error
	}
	out := []string{""}
	for _, l := range m.wrap(m.message, 0) {
		out = append(out, " "+style.Render(l))
	}
	return out
}

// vendor names a device in prompts: its vendor, or "device".
func vendor(v string) string {
	if v == "" {
		return "device"
	}
	return v
}

// hint is what to do about a device's error on this screen: a Trezor
// waiting for its PIN or passphrase is asked for it here when an account
// is imported (the command line's hint would send the user to a
// terminal); every other error has the device's own hint (device.Hint,
// shared with the command line).
func (m *Model) hint(err error) string {
	if errors.Is(err, trezor.ErrPINRequired) || errors.Is(err, trezor.ErrPassphraseRequired) {
		return fmt.Sprintf("Press %s to import an account: this screen asks for it.", m.Keys.ImportAccount.Help().Key)
	}
	return device.Hint(err)
}
