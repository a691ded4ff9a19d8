package wallets

// Signing the built PSBT on a hardware wallet, from the send form's
// summary, and broadcasting it. The flow is service.SignWith, the same the
// command line runs:
//
//	find  the attached device whose master key fingerprint is the wallet's
//	      key origin (Service.OpenSigner), in a command;
//	sign  the device shows each output and the fee and waits for the user;
//	      the screen says so and esc cancels, which ends the exchange with
//	      the device and leaves the PSBT as it was;
//	check the signed PSBT is the one sent plus signatures, finalize it and
//	      run the script engine on every input;
//	ask   show the txid and fee and ask before broadcasting; outside the
//	      demo the signed PSBT is also written next to the unsigned one;
//	send  broadcast through the wallet's backend (Service.Broadcast).
//
// Every step's reply carries the form's id and the signing's generation,
// and a reply to a cancelled or replaced step is dropped (an opened
// device is closed).

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"codeberg.org/hardfolio/hardfolio/hw/device"
	"codeberg.org/hardfolio/hardfolio/tui/common"
	"codeberg.org/hardfolio/hardfolio/tui/devprompt"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/service"
)

// How long the user has to confirm on the device, and a broadcast.
const (
	signTimeout      = 5 * time.Minute
	broadcastTimeout = time.Minute
)

type signStage int

const (
	signIdle       signStage = iota // not started, or failed / cancelled (err says)
	signFinding                     // looking for the device
	signConfirming                  // the device waits for the user
	signAsk                         // signed: broadcast?
	signBroadcasting
	signSent    // broadcast: txid
	signKept    // the user chose not to broadcast
	signPartial // signed, but other signatures are still needed
)

// signState is the summary's signing, when one has started.
type signState struct {
	stage  signStage
	gen    int
	ctx    context.Context // the signing's, with its timeout
	cancel context.CancelFunc
	info   SignerInfo
	pkt    *psbt.Packet   // what is being signed
	turns  []cosignerTurn // multisig: the cosigners looked for
	fpr    uint32         // multisig: the cosigner found
	res    *service.Signed
	path   string // the signed PSBT file, outside the demo
	txid   string
	msg    string // the outcome of the last step, in words
	failed bool   // msg is an error
}

type signerOpenedMsg struct {
	form, gen int
	dev       Signer
	info      SignerInfo
	fpr       uint32 // multisig: the cosigner whose device it is
	err       error
}

type signedMsg struct {
	form, gen int
	res       *service.Signed
	path      string
	fileErr   error
	err       error
}

type broadcastMsg struct {
	form, gen int
	txid      string
	err       error
}

// where adds to msg where the signed PSBT file is, if one was written,
// followed by tail.
func (s *signState) where(msg, tail string) string {
	if s.path == "" {
		return msg
	}
	return msg + " The signed PSBT is in " + s.path + tail + "."
}

// vendor names the device in prompts: the vendor the device reported, or
// "hardware wallet".
func (s *signState) vendor() string {
	if s != nil && s.info.Vendor != "" {
		return s.info.Vendor
	}
	return "hardware wallet"
}

// walletFingerprint is the master key fingerprint of the wallet's key
// origin, the device that can sign for it.
func (f *sendForm) walletFingerprint() (uint32, bool) {
	o, ok := f.state.Wallet().Descriptor.Origin()
	if !ok {
		return 0, false
	}
	return fingerprint(o.Fingerprint), true
}

// canSign says whether the summary offers signing on a device, and why not.
func (m *Model) canSign() (uint32, string) {
	f := m.send
	if m.svc.OpenSigner == nil && m.svc.OpenSignerPrompted == nil {
		return 0, "signing on a device is not available here"
	}
	if f.state.Wallet().IsMultisig() {
		if len(m.nextCosigners()) == 0 {
			return 0, "no cosigner who has still to sign has this wallet registered on their device: hardfolio hw register"
		}
		return 0, ""
	}
	fpr, ok := f.walletFingerprint()
	if !ok {
		return 0, "the wallet's descriptor has no key origin [fingerprint/path], so no device can tell its keys"
	}
	return fpr, ""
}

// cosignerTurn is a multisig cosigner who may sign next: the device's
// fingerprint and the wallet as registered on it.
type cosignerTurn struct {
	fpr uint32
	reg device.RegisteredMultisig
}

// nextCosigners returns, for a multisig wallet, the cosigners whose
// devices have the wallet registered (in the portfolio's registrations)
// and who have not signed the PSBT yet, in the descriptor's order.
func (m *Model) nextCosigners() []cosignerTurn {
	f := m.send
	w := f.state.Wallet()
	pkt := f.toSign()
	var out []cosignerTurn
	for _, k := range w.Multisig.Keys() {
		fpr := fingerprint(k.Origin.Fingerprint)
		r := m.Portfolio().Registration(w.String(), fmt.Sprintf("%08x", fpr))
		if r == nil || wallet.SignedBy(pkt, fpr) {
			continue
		}
		data, err := hex.DecodeString(r.Data)
		if err != nil {
			continue
		}
		out = append(out, cosignerTurn{fpr: fpr, reg: device.RegisteredMultisig{Multisig: common.DeviceMultisig(w.Multisig, r.Name), Registration: data}})
	}
	return out
}

// toSign is the PSBT the next signing starts from: the last cosigner's
// result, else the one built.
func (f *sendForm) toSign() *psbt.Packet {
	if f.partial != nil {
		return f.partial
	}
	return f.result.draft.Packet
}

// multisigSigner signs with one cosigner's device for the wallet
// registered on it.
type multisigSigner struct {
	Signer
	reg device.RegisteredMultisig
}

func (s multisigSigner) SignPSBT(ctx context.Context, pkt *psbt.Packet) (*psbt.Packet, error) {
	d, ok := s.Signer.(device.Device)
	if !ok {
		return nil, fmt.Errorf("%w: this signer does not sign for multisig wallets", device.ErrUnsupported)
	}
	return device.SignAll(ctx, d, pkt, []device.RegisteredMultisig{s.reg})
}

// summaryKey handles a key on the summary of a built PSBT.
func (m *Model) summaryKey(msg tea.KeyMsg) tea.Cmd {
	f, km := m.send, m.Keys
	s := f.sign
	if s != nil {
		switch s.stage {
		case signFinding, signConfirming:
			if m.prompt.Key(msg, km) {
				f.refreshSummary() // esc there cancels the device's request
				return nil
			}
			if key.Matches(msg, km.Cancel) {
				m.prompt.Reset()
				s.cancel()
				f.sign = &signState{msg: "Signing cancelled: nothing was signed and the PSBT is unchanged", failed: true}
				f.refreshSummary()
				return common.Status(common.Warn, "Signing cancelled")
			}
			return nil
		case signAsk:
			switch {
			case key.Matches(msg, km.Yes):
				return m.startBroadcast()
			case key.Matches(msg, km.No):
				s.stage = signKept
				s.msg = s.where("Not broadcast.", ": hardfolio wallet broadcast "+f.cfg.ID+" "+s.path+" sends it")
				f.refreshSummary()
				return nil
			}
			return nil
		case signBroadcasting:
			return nil // the transaction may already be on its way: wait for the answer
		}
	}
	switch {
	case key.Matches(msg, km.SignOnDevice) && (s == nil || s.stage == signIdle || m.nextTurn()):
		return m.startSign()
	case key.Matches(msg, km.Cancel), key.Matches(msg, km.Accept):
		m.closeSend()
	case key.Matches(msg, km.Up):
		f.offset--
	case key.Matches(msg, km.Down):
		f.offset++
	case key.Matches(msg, km.PageUp):
		f.offset -= f.height - 1
	case key.Matches(msg, km.PageDown):
		f.offset += f.height - 1
	case key.Matches(msg, km.Top):
		f.offset = 0
	case key.Matches(msg, km.Bottom):
		f.offset = 1 << 30
	}
	return nil
}

// startSign looks for the wallet's device in a command.
func (m *Model) startSign() tea.Cmd {
	f := m.send
	fpr, why := m.canSign()
	if why != "" {
		f.sign = &signState{msg: "Cannot sign here: " + why, failed: true}
		f.refreshSummary()
		return nil
	}
	var turns []cosignerTurn
	if f.state.Wallet().IsMultisig() {
		turns = m.nextCosigners()
	}
	pkt := f.toSign()
	f.gen++
	ctx, cancel := context.WithTimeout(context.Background(), signTimeout)
	f.sign = &signState{stage: signFinding, gen: f.gen, ctx: ctx, cancel: cancel, pkt: pkt, turns: turns}
	f.refreshSummary()
	open, id, gen := m.svc.OpenSigner, f.id, f.gen
	var listen tea.Cmd
	if prompted, p := m.svc.OpenSignerPrompted, m.prompter; prompted != nil {
		open = func(ctx context.Context, fpr uint32) (Signer, SignerInfo, error) { return prompted(ctx, fpr, p) }
		listen = p.Listen(ctx)
	}
	return tea.Batch(func() tea.Msg {
		if turns == nil {
			dev, info, err := open(ctx, fpr)
			return signerOpenedMsg{form: id, gen: gen, dev: dev, info: info, err: err}
		}
		// The first cosigner's device that is attached.
		var errs []error
		for _, c := range turns {
			dev, info, err := open(ctx, c.fpr)
			if err == nil {
				return signerOpenedMsg{form: id, gen: gen, dev: multisigSigner{dev, c.reg}, info: info, fpr: c.fpr}
			}
			errs = append(errs, fmt.Errorf("%08x: %w", c.fpr, err))
			if ctx.Err() != nil {
				break
			}
		}
		return signerOpenedMsg{form: id, gen: gen, err: errors.Join(errs...)}
	}, listen)
}

// devicePrompt shows what the device asks while the signing runs, and
// waits for its next question.
func (m *Model) devicePrompt(msg devprompt.Msg) tea.Cmd {
	f := m.send
	if f == nil || f.sign == nil || (f.sign.stage != signFinding && f.sign.stage != signConfirming) {
		return nil // the signing ended: the device was told to stop
	}
	m.prompt.Open(msg)
	f.refreshSummary()
	return m.prompter.Listen(f.sign.ctx)
}

// nextTurn tells whether the summary offers the next cosigner's turn: a
// multisig PSBT signed by some cosigners, with a registered one left.
func (m *Model) nextTurn() bool {
	s := m.send.sign
	return s != nil && s.stage == signPartial && m.send.state.Wallet().IsMultisig() && len(m.nextCosigners()) > 0
}

// live returns the form's signing when a reply for (form, gen) is still
// awaited, or nil.
func (m *Model) live(form, gen int) *signState {
	f := m.send
	if f == nil || f.id != form || f.sign == nil || f.sign.gen != gen {
		return nil
	}
	return f.sign
}

// signerOpened takes the device found and asks it to sign.
func (m *Model) signerOpened(msg signerOpenedMsg) tea.Cmd {
	s := m.live(msg.form, msg.gen)
	if s == nil || s.stage != signFinding {
		if msg.dev != nil {
			msg.dev.Close()
		}
		return nil
	}
	f := m.send
	if msg.err != nil {
		s.cancel()
		m.prompt.Reset()
		f.sign = &signState{msg: "No device to sign with: " + deviceError(msg.err), failed: true}
		f.refreshSummary()
		return nil
	}
	s.stage, s.info, s.fpr = signConfirming, msg.info, msg.fpr
	f.refreshSummary()
	// The context is the one the signing was started with: esc cancels it.
	ctx, dev, pkt, path, demo, id, gen := s.ctx, msg.dev, s.pkt, f.result.path, f.ctx.Demo, f.id, msg.gen
	return func() tea.Msg {
		defer dev.Close()
		res, err := service.SignWith(ctx, dev, pkt)
		out := signedMsg{form: id, gen: gen, res: res, err: err}
		if err == nil && !demo && path != "" {
			out.path = wallet.SignedPSBTPath(path)
			out.fileErr = wallet.WritePSBTFile(out.path, res.Packet, wallet.Base64)
		}
		return out
	}
}

// signed takes the device's answer.
func (m *Model) signed(msg signedMsg) tea.Cmd {
	s := m.live(msg.form, msg.gen)
	if s == nil || s.stage != signConfirming {
		return nil
	}
	f := m.send
	s.cancel()
	m.prompt.Reset()
	if msg.err != nil {
		f.sign = &signState{info: s.info, msg: "Not signed: " + deviceError(msg.err), failed: true}
		f.refreshSummary()
		return common.Status(common.Error, "Not signed on the "+s.vendor())
	}
	s.res = msg.res
	if msg.fileErr == nil {
		s.path = msg.path
	}
	switch {
	case !msg.res.Complete:
		s.stage = signPartial
		f.partial = msg.res.Packet
		s.msg = s.where(fmt.Sprintf("The %s added %d signatures, but the transaction needs more: %v.", s.vendor(), msg.res.Added, msg.res.Pending), " for the other signers")
		if f.state.Wallet().IsMultisig() {
			if m.nextTurn() {
				s.msg += fmt.Sprintf(" Plug in the next cosigner's device and press %s.", m.Keys.SignOnDevice.Help().Key)
			} else {
				s.msg += " No other cosigner has this wallet registered on their device here: they sign the file with hardfolio wallet sign " + f.cfg.ID + "."
			}
		}
	case !m.svc.hasBackend(f.cfg):
		s.stage = signKept
		s.msg = s.where("Signed. The wallet has no backend to broadcast through.", "")
	default:
		s.stage = signAsk
		s.txid = msg.res.Tx.TxHash().String()
	}
	if msg.fileErr != nil {
		s.msg += " The signed PSBT could not be written (" + cleanPathError(msg.fileErr) + ")."
	}
	f.refreshSummary()
	return common.Status(common.Info, "Signed on the "+s.vendor())
}

// startBroadcast sends the signed transaction in a command.
func (m *Model) startBroadcast() tea.Cmd {
	f := m.send
	s := f.sign
	s.stage = signBroadcasting
	f.refreshSummary()
	ctx, cancel := context.WithTimeout(context.Background(), broadcastTimeout)
	s.cancel = cancel
	svc, cfg, tx, id, gen := m.svc, f.cfg, s.res.Tx, f.id, s.gen
	return func() tea.Msg {
		txid, err := svc.broadcast(ctx, cfg, tx)
		return broadcastMsg{form: id, gen: gen, txid: txid.String(), err: err}
	}
}

func (m *Model) broadcasted(msg broadcastMsg) tea.Cmd {
	s := m.live(msg.form, msg.gen)
	if s == nil || s.stage != signBroadcasting {
		return nil
	}
	f := m.send
	s.cancel()
	if msg.err != nil {
		s.stage = signKept
		s.msg, s.failed = s.where("Broadcast failed: "+firstLine(msg.err.Error())+".", ""), true
		f.refreshSummary()
		return common.Status(common.Error, "Broadcast failed")
	}
	s.stage, s.txid = signSent, msg.txid
	s.msg = "Broadcast: transaction " + msg.txid + ". Sync the wallet (" + m.Keys.SyncWallet.Help().Key + ") to see it in its history."
	f.refreshSummary()
	return common.Status(common.Info, "Broadcast "+msg.txid)
}

// refreshSummary draws the summary again after the signing moved on.
func (f *sendForm) refreshSummary() {
	if f.result != nil {
		f.result.summary = f.summaryLines(f.result)
		f.offset = 1 << 30 // the signing's lines are at the bottom
	}
}

// signLines describes the signing for the summary, under its figures.
func (m *sendForm) signLines(w int, canSign string, backend string) []string {
	st := m.ctx.Styles
	km := m.ctx.Keys
	s := m.sign
	var out []string
	wrap := func(style func(...string) string, text string) {
		for _, l := range strings.Split(ansi.Wordwrap(text, w-1, ""), "\n") {
			out = append(out, " "+style(l))
		}
	}
	if s == nil || s.stage == signIdle {
		if s != nil && s.msg != "" {
			style := st.Text.Normal.Render
			if s.failed {
				style = st.Text.Error.Render
			}
			wrap(style, s.msg)
			out = append(out, "")
		}
		wrap(st.Text.Strong.Render, "Nothing has been broadcast.")
		if canSign == "" && m.state.Wallet().IsMultisig() {
			wrap(st.Text.Normal.Render, km.SignOnDevice.Help().Key+" signs it on a cosigner's device that has the wallet registered, then on the next one; or each cosigner signs the file with `hardfolio wallet sign "+m.cfg.ID+" FILE --sign-with URI`.")
		} else if canSign == "" {
			wrap(st.Text.Normal.Render, km.SignOnDevice.Help().Key+" signs it on your hardware wallet (the device whose fingerprint the wallet's keys carry); or sign the file with any PSBT signer and `hardfolio wallet broadcast "+m.cfg.ID+" FILE` it.")
		} else {
			wrap(st.Text.Normal.Render, "Sign it with any PSBT signer (`hardfolio wallet send --sign-with` or `hardfolio hw sign` on the command line), then `hardfolio wallet broadcast "+m.cfg.ID+" FILE` with the signed file.")
		}
		return out
	}
	if p := m.prompt; p != nil && p.Active() && (s.stage == signFinding || s.stage == signConfirming) {
		vendor := s.vendor()
		if s.info.Vendor == "" {
			// Still looking for the device: only a Trezor asks the host
			// for a PIN or passphrase.
			vendor = "Trezor"
		}
		for _, l := range p.View(st, km, vendor) {
			out = append(out, " "+l)
		}
		return out
	}
	switch s.stage {
	case signFinding:
		if s.turns != nil {
			var fprs []string
			for _, c := range s.turns {
				fprs = append(fprs, fmt.Sprintf("%08x", c.fpr))
			}
			wrap(st.Text.Warn.Render, fmt.Sprintf("Looking for a cosigner's device (%s)… (%s cancels)", strings.Join(fprs, ", "), km.Cancel.Help().Key))
			break
		}
		fpr, _ := m.walletFingerprint()
		wrap(st.Text.Warn.Render, fmt.Sprintf("Looking for the device with fingerprint %08x… (%s cancels)", fpr, km.Cancel.Help().Key))
	case signConfirming:
		who := s.vendor()
		if s.fpr != 0 {
			who += fmt.Sprintf(" (cosigner %08x)", s.fpr)
		}
		wrap(st.Text.Warn.Render, fmt.Sprintf("Confirm the transaction on your %s: check each output and the fee. (%s cancels)", who, km.Cancel.Help().Key))
		if p := m.prompt; p != nil && p.Confirming() != "" {
			wrap(st.Text.Muted.Render, "The device now shows: the "+p.Confirming()+".")
		}
	case signAsk, signBroadcasting, signSent, signKept, signPartial:
		if s.res != nil && s.res.Complete {
			wrap(st.Text.Title.Render, "Signed on your "+s.vendor())
			out = append(out, " "+st.Text.Muted.Render(common.PadRight("Txid", sendLabelWidth))+st.Text.Normal.Render(s.res.Tx.TxHash().String()))
			fee := "unknown"
			if s.res.Fee >= 0 {
				fee = groupInt(s.res.Fee) + " sat"
			}
			out = append(out, " "+st.Text.Muted.Render(common.PadRight("Fee", sendLabelWidth))+st.Text.Normal.Render(fee))
			if s.path != "" {
				out = append(out, " "+st.Text.Muted.Render(common.PadRight("Signed PSBT", sendLabelWidth))+st.Text.Normal.Render(s.path))
			}
		}
		switch s.stage {
		case signAsk:
			wrap(st.Text.Strong.Render, fmt.Sprintf("Broadcast it through %s? %s / %s", backend, km.Yes.Help().Key, km.No.Help().Key))
		case signBroadcasting:
			wrap(st.Text.Warn.Render, "Broadcasting…")
		default:
			style := st.Text.Normal.Render
			if s.failed {
				style = st.Text.Error.Render
			}
			wrap(style, s.msg)
		}
	}
	return out
}

// deviceError writes a device error with what to do about it.
func deviceError(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, context.DeadlineExceeded):
		return "the device did not answer in time"
	}
	s := firstLine(err.Error())
	if h := device.Hint(err); h != "" {
		s += ". " + h
	}
	return s
}

// summaryHelp lists the keys that act on the summary now.
func (m *Model) summaryHelp() []key.Binding {
	km := m.Keys
	if s := m.send.sign; s != nil {
		switch s.stage {
		case signFinding, signConfirming:
			if m.prompt.Active() {
				return []key.Binding{withHelp(km.Accept, "send"), withHelp(km.Cancel, "cancel")}
			}
			return []key.Binding{withHelp(km.Cancel, "cancel signing")}
		case signAsk:
			return []key.Binding{withHelp(km.Yes, "broadcast"), withHelp(km.No, "keep it")}
		case signBroadcasting:
			return nil
		}
	}
	b := []key.Binding{km.Up, km.Down}
	if m.send.canSign == "" && (m.send.sign == nil || m.send.sign.stage == signIdle) {
		b = append(b, withHelp(km.SignOnDevice, "sign on device"))
	} else if m.nextTurn() {
		b = append(b, withHelp(km.SignOnDevice, "next cosigner signs"))
	}
	return append(b, withHelp(km.Cancel, "close"))
}

// HubSigner opens signers through a device hub: the attached device (USB,
// or one of the emulators at speculos) whose master key fingerprint is
// the one asked for.
func HubSigner(hub *device.Hub, speculos []string) func(ctx context.Context, fpr uint32) (Signer, SignerInfo, error) {
	addrs := append([]string(nil), speculos...)
	return func(ctx context.Context, fpr uint32) (Signer, SignerInfo, error) {
		d, info, err := hub.OpenFingerprint(ctx, addrs, fpr)
		if err != nil {
			return nil, SignerInfo{}, err
		}
		return d, SignerInfo{Vendor: info.Vendor, Model: info.Model}, nil
	}
}

// HubSignerPrompted is HubSigner for Service.OpenSignerPrompted: the
// devices the hub opens ask p what they need from the user.
func HubSignerPrompted(hub *device.Hub, speculos []string) func(ctx context.Context, fpr uint32, p device.Prompter) (Signer, SignerInfo, error) {
	return func(ctx context.Context, fpr uint32, p device.Prompter) (Signer, SignerInfo, error) {
		h := *hub
		h.Prompter = p
		return HubSigner(&h, speculos)(ctx, fpr)
	}
}
