package wallets

// The send form: it pays one or more addresses from the selected wallet by
// writing an unsigned PSBT, which the summary can sign on the wallet's
// device and broadcast after asking (sign.go).
//
// The form builds the transaction from the wallet's cached state (the
// last sync), in a command, and writes the PSBT atomically to a file in
// that command too. In the demo it writes nothing: the summary shows the
// PSBT as base64 text instead.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/tui/common"
	"codeberg.org/hardfolio/hardfolio/tui/devprompt"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

// Field names of the send form, as SendErrors reports them.
const (
	FieldFeeRate = "fee_rate"
	FieldCoins   = "coins"
	FieldHighFee = "high_fee"
	FieldFile    = "file"
)

// FieldAddress names the address field of recipient i (from 0).
func FieldAddress(i int) string { return "address." + strconv.Itoa(i+1) }

// FieldAmount names the amount field of recipient i (from 0).
func FieldAmount(i int) string { return "amount." + strconv.Itoa(i+1) }

// feeTarget is the confirmation target, in blocks, of the fee estimate,
// as on the command line.
const feeTarget = 6

type sendKind int

const (
	kAddress sendKind = iota
	kAmount
	kUnit
	kFee
	kCoin
	kUnconfirmed
	kRBF
	kHighFee
	kFile
)

// sendField is one row of the form: a text input, a choice or a coin.
type sendField struct {
	kind  sendKind
	coin  int // index in sendForm.coins, for kCoin
	label string
	hint  string

	input   textinput.Model
	options []string
	sel     int
	picked  bool // kCoin

	err string
}

func (fl *sendField) isText() bool {
	return fl.kind == kAddress || fl.kind == kAmount || fl.kind == kFee || fl.kind == kFile
}

func (fl *sendField) value() string { return strings.TrimSpace(fl.input.Value()) }

type recipient struct {
	addr, amount *sendField
}

// sendForm pays from one wallet.
type sendForm struct {
	ctx    *common.Context
	prompt *devprompt.Model // the device's questions while signing (the screen's)
	id     int              // tags the replies of its commands
	cfg    portfolio.WalletConfig
	state  *wallet.State
	net    descriptor.Network
	coins  []utxoRow
	tip    int32

	recips                          []*recipient
	unit, fee, unconf, rbf, highFee *sendField
	file                            *sendField
	coinFields                      []*sendField // per coin; nil for a frozen one
	showHighFee                     bool         // after a high-fee refusal

	fields []*sendField // the focusable fields, in order
	focus  *sendField

	coinsErr string
	general  string

	estimating bool
	feeNote    string // where the rate came from, or why there is none
	cancel     context.CancelFunc

	building int // generation of the build under way; 0: none
	gen      int
	result   *sendResult
	sign     *signState // signing the result on a device, once started
	// partial is the PSBT with the signatures of the cosigners who have
	// signed so far (multisig), which the next one signs.
	partial *psbt.Packet
	// canSign is why the summary cannot offer signing, or "".
	canSign string
	backend string // where a broadcast goes, in words

	width, height int
	offset        int
	lines         []string // the last render, before scrolling
}

// sendResult is a PSBT built (and, outside the demo, written).
type sendResult struct {
	draft   *wallet.Draft
	req     wallet.Request
	path    string // "" in the demo
	base64  string // the PSBT, in the demo
	summary []string
}

// feeEstimateMsg carries the backend's fee rate estimate for form id.
type feeEstimateMsg struct {
	form int
	rate float64
	err  error
}

// sendBuiltMsg ends the build of generation gen of form id.
type sendBuiltMsg struct {
	form, gen int
	req       wallet.Request
	draft     *wallet.Draft
	path      string
	base64    string
	err       error // from BuildPSBT
	fileErr   error // writing the file
}

// openSend opens the send form for the selected wallet, and asks its
// backend for a fee rate estimate.
func (m *Model) openSend() tea.Cmd {
	e := m.current()
	switch {
	case e == nil:
		return nil
	case e.err != nil:
		return common.Status(common.Error, "Cannot open wallet "+e.cfg.ID+": "+firstLine(e.err.Error()))
	case e.cache != cacheOK || e.state == nil:
		return common.Status(common.Warn, "Sync "+e.cfg.ID+" first: a payment spends the coins of the last sync")
	}
	f := newSendForm(m.Context, m.NextID(), e)
	f.prompt = &m.prompt
	f.setSize(m.width, m.height)
	m.send = f
	var estimate tea.Cmd
	switch {
	case m.svc.FeeRate == nil:
		f.feeNote = "no estimate here: type a rate"
	case !m.svc.hasBackend(e.cfg):
		f.feeNote = "no backend to estimate from: type a rate"
	default:
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		f.cancel, f.estimating = cancel, true
		f.fee.input.Placeholder = "estimating…"
		svc, cfg, id := m.svc, e.cfg, f.id
		estimate = func() tea.Msg {
			rate, err := svc.FeeRate(ctx, cfg, feeTarget)
			return feeEstimateMsg{form: id, rate: rate, err: err}
		}
	}
	return tea.Batch(f.focusCmd(), estimate)
}

func newSendForm(ctx *common.Context, id int, e *entry) *sendForm {
	f := &sendForm{ctx: ctx, id: id, cfg: e.cfg, state: e.state, net: e.state.Wallet().Net(), coins: e.utxos, tip: e.tip}
	choice := func(kind sendKind, label, hint string, opts ...string) *sendField {
		return &sendField{kind: kind, label: label, hint: hint, options: opts}
	}
	f.unit = choice(kUnit, "Amounts in", "BTC, or sats; a 'sat' or 'BTC' after a number wins", "BTC", "sats")
	f.fee = f.text(kFee, "Fee rate", "sat/vB", "")
	f.unconf = choice(kUnconfirmed, "Unconfirmed", "whether automatic selection may spend unconfirmed coins", "not spent", "may be spent")
	f.rbf = choice(kRBF, "RBF", "a replaceable payment can be bumped if it is slow", "on: replaceable (BIP 125)", "off: final")
	f.highFee = choice(kHighFee, "High fee", "allow to pay this fee anyway", "refuse", "allow")
	f.file = f.text(kFile, "PSBT file", "", "written as base64 text; an existing file is never replaced")
	f.file.input.SetValue(fmt.Sprintf("%s-%d.psbt", e.cfg.ID, ctx.Now().Unix()))
	f.coinFields = make([]*sendField, len(f.coins))
	for i, u := range f.coins {
		if !u.frozen {
			f.coinFields[i] = &sendField{kind: kCoin, coin: i, hint: "picked coins are all spent; none picked: automatic"}
		}
	}
	f.addRecipient()
	return f
}

func (f *sendForm) text(kind sendKind, label, placeholder, hint string) *sendField {
	ti := textinput.New()
	ti.Prompt = ""
	ti.Placeholder = placeholder
	common.StyleInput(&ti, f.ctx.Styles)
	fl := &sendField{kind: kind, label: label, hint: hint, input: ti}
	fl.input.Width = f.fieldWidth(fl) - 1
	return fl
}

// relayout lists the focusable fields in the order they are shown.
func (f *sendForm) relayout() {
	f.fields = f.fields[:0]
	for i, r := range f.recips {
		r.addr.label = "Pay to " + strconv.Itoa(i+1)
		r.amount.label = "  Amount"
		f.fields = append(f.fields, r.addr, r.amount)
	}
	f.fields = append(f.fields, f.unit, f.fee)
	for _, c := range f.coinFields {
		if c != nil {
			f.fields = append(f.fields, c)
		}
	}
	f.fields = append(f.fields, f.unconf, f.rbf)
	if f.showHighFee {
		f.fields = append(f.fields, f.highFee)
	}
	if !f.ctx.Demo {
		f.fields = append(f.fields, f.file)
	}
}

func (f *sendForm) addRecipient() {
	r := &recipient{
		addr:   f.text(kAddress, "", "bc1q… (the recipient's address)", "check it on the recipient's own device or invoice"),
		amount: f.text(kAmount, "", "e.g. 0.001", ""),
	}
	if f.net != descriptor.Mainnet {
		r.addr.input.Placeholder = "the recipient's " + f.net.String() + " address"
	}
	f.recips = append(f.recips, r)
	f.relayout()
	f.setFocus(r.addr)
}

// removeRecipient drops the recipient whose field has the focus; the
// last one stays.
func (f *sendForm) removeRecipient() {
	if len(f.recips) < 2 {
		return
	}
	for i, r := range f.recips {
		if f.focus == r.addr || f.focus == r.amount {
			f.recips = append(f.recips[:i], f.recips[i+1:]...)
			f.relayout()
			f.setFocus(f.recips[min(i, len(f.recips)-1)].addr)
			return
		}
	}
}

func (f *sendForm) setFocus(fl *sendField) {
	if f.focus != nil && f.focus.isText() {
		f.focus.input.Blur()
	}
	f.focus = fl
	if fl != nil && fl.isText() {
		fl.input.Focus()
		fl.input.CursorEnd()
	}
}

func (f *sendForm) focusIndex() int {
	for i, fl := range f.fields {
		if fl == f.focus {
			return i
		}
	}
	return 0
}

func (f *sendForm) moveFocus(dir int) {
	n := len(f.fields)
	f.setFocus(f.fields[(f.focusIndex()+dir+n)%n])
}

func (f *sendForm) focusCmd() tea.Cmd {
	if f.focus != nil && f.focus.isText() {
		return f.focus.input.Focus()
	}
	return nil
}

func (f *sendForm) close() {
	if f.cancel != nil {
		f.cancel()
	}
	if f.sign != nil && f.sign.cancel != nil {
		f.sign.cancel()
	}
}

const sendLabelWidth = 13

func (f *sendForm) inputWidth() int { return max(10, min(64, f.width-4-sendLabelWidth-2)) }

// fieldWidth is the width of a field's input: wide for addresses and
// paths, narrow for numbers, and the longest option for a choice.
func (f *sendForm) fieldWidth(fl *sendField) int {
	iw := f.inputWidth()
	switch fl.kind {
	case kAmount, kFee:
		return min(18, iw)
	case kAddress, kFile:
		return iw
	}
	w := 0
	for _, o := range fl.options {
		w = max(w, common.Width(o))
	}
	return min(w+4, iw)
}

func (f *sendForm) setSize(w, h int) {
	f.width, f.height = w, h
	for _, fl := range append(f.allFields(), f.file) {
		if fl.isText() {
			fl.input.Width = f.fieldWidth(fl) - 1
			// Scroll the text again for the new width.
			pos := fl.input.Position()
			fl.input.SetValue(fl.input.Value())
			fl.input.SetCursor(pos)
		}
	}
	if f.result != nil {
		f.result.summary = f.summaryLines(f.result)
	}
}

// ---- keys -------------------------------------------------------------------

// sendKey handles a key while the form or its summary is open.
func (m *Model) sendKey(msg tea.KeyMsg) tea.Cmd {
	f, km := m.send, m.Keys
	if f.result != nil {
		return m.summaryKey(msg)
	}
	if key.Matches(msg, km.Cancel) {
		m.closeSend()
		return nil
	}
	if f.building != 0 {
		return nil // building: wait for the reply
	}
	cur := f.focus
	switch {
	case key.Matches(msg, km.Submit):
		return m.submitSend()
	case key.Matches(msg, km.AddRecipient):
		f.addRecipient()
		return f.focusCmd()
	case key.Matches(msg, km.RemoveRecipient):
		f.removeRecipient()
		return f.focusCmd()
	case key.Matches(msg, km.Accept):
		if f.focusIndex() == len(f.fields)-1 {
			return m.submitSend()
		}
		f.moveFocus(1)
		return nil
	case key.Matches(msg, km.NextField):
		f.moveFocus(1)
		return nil
	case key.Matches(msg, km.PrevField):
		f.moveFocus(-1)
		return nil
	}
	switch {
	case cur.kind == kCoin:
		if key.Matches(msg, km.ToggleCoin) {
			cur.picked = !cur.picked
			f.coinsErr = ""
		}
		return nil
	case !cur.isText():
		n := len(cur.options)
		switch {
		case key.Matches(msg, km.NextOption):
			cur.sel = (cur.sel + 1) % n
		case key.Matches(msg, km.PrevOption):
			cur.sel = (cur.sel - 1 + n) % n
		default:
			return nil
		}
		cur.err = ""
		if cur.kind == kUnit {
			f.convertAmounts()
		}
		return nil
	}
	var cmd tea.Cmd
	cur.input, cmd = cur.input.Update(msg)
	cur.err = ""
	return cmd
}

func (m *Model) closeSend() {
	m.prompt.Reset()
	m.send.close()
	m.send = nil
}

// convertAmounts rewrites the amounts typed when the unit switches, so
// the quantities stay what they were.
func (f *sendForm) convertAmounts() {
	toSats := f.unit.sel == 1
	for _, r := range f.recips {
		v := r.amount.value()
		if v == "" || strings.ContainsAny(strings.ToLower(v), "bs") {
			continue // empty, or its unit written out
		}
		sats, err := parseAmount(v, !toSats)
		if err != nil {
			continue
		}
		if toSats {
			r.amount.input.SetValue(strconv.FormatInt(sats, 10))
		} else {
			r.amount.input.SetValue(decimal.New(sats, -8).String())
		}
	}
}

// ---- submitting -------------------------------------------------------------

// submitSend checks the fields and, when each can be read, builds the PSBT
// in a command. Every problem found is shown next to its field.
func (m *Model) submitSend() tea.Cmd {
	f := m.send
	f.clearErrors()
	req := wallet.Request{
		NoRBF:              f.rbf.sel == 1,
		IncludeUnconfirmed: f.unconf.sel == 1,
		AllowHighFee:       f.showHighFee && f.highFee.sel == 1,
	}
	for _, r := range f.recips {
		addr := r.addr.value()
		switch {
		case addr == "":
			r.addr.err = "is required"
		default:
			if _, err := wallet.DecodeAddress(addr, f.net); err != nil {
				r.addr.err = addressMessage(err)
			}
		}
		sats, err := parseAmount(r.amount.value(), f.unit.sel == 1)
		if err != nil {
			r.amount.err = err.Error()
		}
		req.Recipients = append(req.Recipients, wallet.Recipient{Address: addr, Sats: sats})
	}
	switch v := f.fee.value(); {
	case v == "" && f.estimating:
		f.fee.err = "still estimating: wait a moment or type a rate"
	case v == "":
		f.fee.err = "is required (sat/vB)"
	default:
		d, err := decimal.NewFromString(strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(v, "sat/vB"), "sat/vb")))
		switch {
		case err != nil:
			f.fee.err = "not a number (sat/vB)"
		case d.LessThan(decimal.NewFromFloat(wallet.MinFeeRate)):
			f.fee.err = fmt.Sprintf("below the minimum of %v sat/vB", wallet.MinFeeRate)
		default:
			req.FeeRate = d.InexactFloat64()
		}
	}
	for i, u := range f.coins {
		if u.frozen {
			req.Frozen = append(req.Frozen, u.op)
		} else if f.coinFields[i].picked {
			req.Inputs = append(req.Inputs, u.op)
		}
	}
	path := ""
	if !f.ctx.Demo {
		path = f.file.value()
		if path == "" {
			f.file.err = "is required"
		}
	}
	if f.hasErrors() {
		f.focusFirstError()
		return nil
	}
	f.gen++
	f.building = f.gen
	st, demo, id, gen := f.state, f.ctx.Demo, f.id, f.gen
	return func() tea.Msg {
		return buildPSBT(st, req, path, demo, id, gen)
	}
}

// buildPSBT builds the transaction and writes its PSBT to path, never
// replacing a file; in the demo it returns the PSBT as text instead.
func buildPSBT(st *wallet.State, req wallet.Request, path string, demo bool, form, gen int) sendBuiltMsg {
	msg := sendBuiltMsg{form: form, gen: gen, req: req, path: path}
	d, err := wallet.BuildPSBT(st, req)
	if err != nil {
		msg.err = err
		return msg
	}
	msg.draft = d
	if demo {
		var b bytes.Buffer
		if err := wallet.WritePSBT(&b, d.Packet, wallet.Base64); err != nil {
			msg.fileErr = err
		}
		msg.base64 = strings.TrimSpace(b.String())
		return msg
	}
	if _, err := os.Lstat(path); err == nil {
		msg.fileErr = errors.New("already exists: choose another name")
		return msg
	} else if !errors.Is(err, os.ErrNotExist) {
		msg.fileErr = err
		return msg
	}
	msg.fileErr = wallet.WritePSBTFile(path, d.Packet, wallet.Base64)
	return msg
}

// built takes the reply of a build: the summary, or the errors next to
// their fields.
func (m *Model) built(msg sendBuiltMsg) tea.Cmd {
	f := m.send
	if f == nil || msg.form != f.id || msg.gen != f.building {
		return nil // the form was closed, or this build was replaced
	}
	f.building = 0
	if msg.err != nil {
		f.showBuildError(msg.err, msg.req)
		return nil
	}
	if msg.fileErr != nil {
		f.file.err = cleanPathError(msg.fileErr)
		f.setFocus(f.file)
		return nil
	}
	r := &sendResult{draft: msg.draft, req: msg.req, path: msg.path, base64: msg.base64}
	f.result, f.partial = r, nil
	_, f.canSign = m.canSign()
	f.backend = m.backendText(f.cfg.Backend)
	r.summary = f.summaryLines(r)
	f.offset = 0
	f.setFocus(nil)
	if r.path == "" {
		return common.Status(common.Info, "PSBT built (demo: not written to a file)")
	}
	return common.Status(common.Info, "Wrote unsigned PSBT to "+r.path)
}

var (
	dustLimitRE = regexp.MustCompile(`the limit is (\d+) sat`)
	bigNumberRE = regexp.MustCompile(`\b\d{4,}\b`)
)

// showBuildError puts an error of wallet.BuildPSBT next to the field it
// is about.
func (f *sendForm) showBuildError(err error, req wallet.Request) {
	var ae *wallet.AddressError
	var hf *wallet.HighFeeError
	msg := err.Error()
	switch {
	case errors.As(err, &ae):
		for _, r := range f.recips {
			if r.addr.value() == ae.Address {
				r.addr.err = addressMessage(err)
				break
			}
		}
	case errors.As(err, &hf):
		f.fee.err = fmt.Sprintf("high fee: %s sat (%.1f sat/vB) to send %s sat; the limits are %.0f%% of the amount and %.0f sat/vB",
			groupInt(hf.Fee), hf.Rate, groupInt(hf.Sent), wallet.MaxFeeShare*100, wallet.MaxFeeRate)
		if !f.showHighFee {
			f.showHighFee = true
			f.relayout()
		}
	case errors.Is(err, wallet.ErrDust):
		text := "below the dust limit"
		if sm := dustLimitRE.FindStringSubmatch(msg); sm != nil {
			text += " of " + sm[1] + " sat"
		}
		for i, r := range f.recips {
			if strings.Contains(msg, fmt.Sprintf("%d sat to %s ", req.Recipients[i].Sats, r.addr.value())) {
				r.amount.err = text
				break
			}
		}
	case errors.Is(err, wallet.ErrInsufficientFunds):
		f.recips[len(f.recips)-1].amount.err = groupNumbers(msg)
	case errors.Is(err, wallet.ErrUnknownInput),
		errors.Is(err, wallet.ErrBadRequest) && (strings.Contains(msg, "is frozen") || strings.Contains(msg, "listed twice")):
		f.coinsErr = groupNumbers(msg)
	case errors.Is(err, wallet.ErrBadRequest) && strings.Contains(msg, "fee rate"):
		f.fee.err = msg
	}
	if !f.hasErrors() {
		f.general = groupNumbers(msg)
	}
	f.focusFirstError()
}

// addressMessage words an address refusal for the field: the address is
// right there, so it is not repeated.
func addressMessage(err error) string {
	var ae *wallet.AddressError
	if errors.As(err, &ae) {
		return fmt.Sprintf("not a %s address: %v", ae.Network, ae.Err)
	}
	return err.Error()
}

func groupNumbers(s string) string {
	return bigNumberRE.ReplaceAllStringFunc(s, func(n string) string {
		v, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			return n
		}
		return groupInt(v)
	})
}

func cleanPathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

func (f *sendForm) allFields() []*sendField {
	out := append([]*sendField(nil), f.fields...)
	if !f.showHighFee {
		out = append(out, f.highFee)
	}
	return out
}

func (f *sendForm) clearErrors() {
	for _, fl := range f.allFields() {
		fl.err = ""
	}
	f.coinsErr, f.general = "", ""
}

func (f *sendForm) hasErrors() bool { return len(f.errors()) > 0 }

func (f *sendForm) focusFirstError() {
	for _, fl := range f.fields {
		if fl.err != "" {
			if fl == f.fee && f.showHighFee && strings.HasPrefix(fl.err, "high fee") {
				fl = f.highFee
			}
			f.setFocus(fl)
			return
		}
	}
	if f.coinsErr != "" {
		for _, fl := range f.fields {
			if fl.kind == kCoin {
				f.setFocus(fl)
				return
			}
		}
	}
}

// errors lists the errors on screen by field name; "" is the general one.
func (f *sendForm) errors() map[string]string {
	out := map[string]string{}
	for i, r := range f.recips {
		if r.addr.err != "" {
			out[FieldAddress(i)] = r.addr.err
		}
		if r.amount.err != "" {
			out[FieldAmount(i)] = r.amount.err
		}
	}
	if f.fee.err != "" {
		out[FieldFeeRate] = f.fee.err
	}
	if f.file.err != "" {
		out[FieldFile] = f.file.err
	}
	if f.coinsErr != "" {
		out[FieldCoins] = f.coinsErr
	}
	if f.general != "" {
		out[""] = f.general
	}
	return out
}

// estimated takes the backend's fee rate estimate. A rate the user typed
// meanwhile stays.
func (f *sendForm) estimated(msg feeEstimateMsg) {
	f.estimating = false
	f.fee.input.Placeholder = "sat/vB"
	if msg.err != nil {
		f.feeNote = "no estimate (" + firstLine(msg.err.Error()) + "): type a rate"
		return
	}
	rate := math.Max(wallet.MinFeeRate, math.Ceil(msg.rate*10)/10)
	f.feeNote = fmt.Sprintf("the backend's estimate for %d blocks", feeTarget)
	if f.fee.value() == "" {
		f.fee.input.SetValue(strconv.FormatFloat(rate, 'f', -1, 64))
		f.fee.err = ""
	}
}

// parseAmount reads an amount in BTC (at most 8 decimals) or in sats; a
// "sat", "sats" or "BTC" after the number overrides inSats.
func parseAmount(s string, inSats bool) (int64, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case strings.HasSuffix(s, "sats"), strings.HasSuffix(s, "sat"):
		s, inSats = strings.TrimSuffix(strings.TrimSuffix(s, "s"), "sat"), true
	case strings.HasSuffix(s, "btc"):
		s, inSats = strings.TrimSuffix(s, "btc"), false
	}
	s = strings.NewReplacer(" ", "", "_", "", ",", "", "'", "").Replace(s)
	if s == "" {
		return 0, errors.New("is required")
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return 0, errors.New("not a number")
	}
	if !inSats {
		if !d.Equal(d.Truncate(8)) {
			return 0, errors.New("at most 8 decimals (1 sat = 0.00000001)")
		}
		d = d.Shift(8)
	} else if !d.Equal(d.Truncate(0)) {
		return 0, errors.New("want whole sats")
	}
	switch {
	case d.Sign() <= 0:
		return 0, errors.New("must be more than zero")
	case d.GreaterThan(decimal.New(21_000_000, 8)):
		return 0, errors.New("more than 21 million BTC")
	}
	return d.IntPart(), nil
}

// ---- rendering --------------------------------------------------------------

// render draws the form or its summary into f.lines, keeps the focus
// in view and returns the window of the screen's height.
func (f *sendForm) render() []string {
	var focusLine int
	if f.result != nil {
		f.lines, focusLine = f.result.summary, -1
	} else {
		f.lines, focusLine = f.formLines()
	}
	if focusLine >= 0 {
		if focusLine < f.offset {
			f.offset = focusLine
		}
		if focusLine >= f.offset+f.height {
			f.offset = focusLine - f.height + 1
		}
	}
	f.offset = max(0, min(f.offset, len(f.lines)-f.height))
	end := min(len(f.lines), f.offset+f.height)
	return append([]string(nil), f.lines[f.offset:end]...)
}

func (f *sendForm) formLines() (lines []string, focusLine int) {
	st := f.ctx.Styles
	km := f.ctx.Keys
	title := "Send from " + f.cfg.Name
	head := " " + st.Text.Title.Render(title) + st.Text.Muted.Render("  "+f.cfg.ID+" · "+f.cfg.Network)
	if f.ctx.Demo {
		note := "demo: nothing is written to a file"
		head += strings.Repeat(" ", max(2, f.width-1-common.Width(head)-common.Width(note))) + st.Text.Muted.Render(note)
	}
	lines = append(lines, head, "")

	row := func(fl *sendField, label, input, extra string) {
		errX := 3 + sendLabelWidth + f.fieldWidth(fl) + 2
		room := f.width - 1 - errX
		focused := fl != nil && fl == f.focus
		marker := "  "
		lab := st.Form.Label.Render(common.PadRight(label, sendLabelWidth))
		if focused {
			marker = st.Form.Marker.Render("› ")
			lab = st.Form.LabelFocused.Render(common.PadRight(label, sendLabelWidth))
			focusLine = len(lines)
		}
		line := " " + marker + lab + input
		note, noteStyle := extra, st.Form.Hint
		switch {
		case fl != nil && fl.err != "":
			note, noteStyle = "✗ "+fl.err, st.Form.Error
		case focused && fl.hint != "" && note == "":
			note = fl.hint
		}
		switch {
		case note == "":
			lines = append(lines, line)
		case common.Width(note) <= room:
			lines = append(lines, padANSI(line, errX)+noteStyle.Render(note))
		case fl != nil && fl.err != "":
			// Too long for the space beside the field: under it, wrapped.
			lines = append(lines, line)
			for _, l := range strings.Split(ansi.Wordwrap(note, max(20, f.width-4-sendLabelWidth), ""), "\n") {
				lines = append(lines, strings.Repeat(" ", 3+sendLabelWidth)+noteStyle.Render(l))
			}
		case room >= 12:
			lines = append(lines, padANSI(line, errX)+noteStyle.Render(common.Truncate(note, room)))
		default:
			lines = append(lines, line)
		}
	}
	textInput := func(fl *sendField) string { return padANSI(fl.input.View(), f.fieldWidth(fl)) }
	choiceInput := func(fl *sendField) string {
		arrows := st.Form.OptionArrows
		if fl == f.focus {
			arrows = st.Form.Marker
		}
		iw := f.fieldWidth(fl)
		opt := common.Truncate(fl.options[fl.sel], iw-4)
		return arrows.Render("‹ ") + st.Form.Option.Render(opt) + arrows.Render(" ›") + strings.Repeat(" ", max(0, iw-4-common.Width(opt)))
	}

	for _, r := range f.recips {
		row(r.addr, r.addr.label, textInput(r.addr), "")
		row(r.amount, r.amount.label, textInput(r.amount), "")
	}
	row(f.unit, f.unit.label, choiceInput(f.unit), "")
	feeNote := f.feeNote
	if f.estimating {
		feeNote = "estimating…"
	}
	row(f.fee, f.fee.label, textInput(f.fee), feeNote)

	// Coins: none picked means automatic selection.
	var n int
	var sum int64
	for i, c := range f.coinFields {
		if c != nil && c.picked {
			n++
			sum += f.coins[i].value
		}
	}
	summary := "automatic: largest first"
	if n > 0 {
		summary = fmt.Sprintf("%d picked · %s BTC", n, formatSats(sum, false))
	}
	lines = append(lines, "")
	coinsHead := "   " + st.Form.Label.Render(common.PadRight("Coins", sendLabelWidth)) + st.Text.Normal.Render(summary)
	if f.coinsErr != "" {
		coinsHead += "  " + st.Form.Error.Render("✗ "+f.coinsErr)
	} else {
		coinsHead += st.Text.Muted.Render("  (" + km.ToggleCoin.Help().Key + " picks)")
	}
	lines = append(lines, common.Truncate(coinsHead, f.width))
	if len(f.coins) == 0 {
		lines = append(lines, "   "+strings.Repeat(" ", sendLabelWidth)+st.Text.Muted.Render("no coins in the last sync"))
	}
	opW := min(66, max(12, f.width-3-sendLabelWidth-4-2-10-2-12-1))
	for i, u := range f.coins {
		c := f.coinFields[i]
		box := "[ ]"
		switch {
		case c == nil:
			box = "[-]"
		case c.picked:
			box = "[x]"
		}
		conf := "unconfirmed"
		if u.height > 0 {
			conf = groupInt(int64(f.tip-u.height+1)) + " conf."
		}
		text := box + " " + common.PadRight(midTruncate(u.outpoint, opW), opW) + "  " + common.PadLeft(formatSats(u.value, false), 10) + "  " + conf
		if c == nil {
			text += "  frozen"
		}
		if u.label != "" {
			text += "  " + u.label
		}
		style := st.Text.Normal
		if c == nil {
			style = st.Text.Muted
		}
		label := ""
		if c == f.focus && c != nil {
			focusLine = len(lines)
			lines = append(lines, common.Truncate(" "+st.Form.Marker.Render("› ")+common.PadRight(label, sendLabelWidth)+style.Render(text), f.width))
		} else {
			lines = append(lines, common.Truncate("   "+common.PadRight(label, sendLabelWidth)+style.Render(text), f.width))
		}
	}
	lines = append(lines, "")
	row(f.unconf, f.unconf.label, choiceInput(f.unconf), "")
	row(f.rbf, f.rbf.label, choiceInput(f.rbf), "")
	if f.showHighFee {
		row(f.highFee, f.highFee.label, choiceInput(f.highFee), "")
	}
	if !f.ctx.Demo {
		row(f.file, f.file.label, textInput(f.file), "")
	}
	lines = append(lines, "")
	if f.general != "" {
		for _, l := range strings.Split(ansi.Wordwrap("✗ "+f.general, f.width-3, ""), "\n") {
			lines = append(lines, " "+st.Form.Error.Render(l))
		}
	}
	var hint string
	switch {
	case f.building != 0:
		hint = "Building the transaction…"
	case f.ctx.Demo:
		hint = fmt.Sprintf("%s builds the PSBT and shows it; %s adds a recipient. Nothing is broadcast.", km.Submit.Help().Key, km.AddRecipient.Help().Key)
	default:
		hint = fmt.Sprintf("%s writes the unsigned PSBT; %s adds a recipient. Nothing is broadcast.", km.Submit.Help().Key, km.AddRecipient.Help().Key)
	}
	for _, l := range strings.Split(ansi.Wordwrap(hint, f.width-3, ""), "\n") {
		lines = append(lines, " "+st.Form.Hint.Render(l))
	}
	return lines, focusLine
}

// summaryLines describes a built PSBT: what it spends, whom it pays, the
// change, the fee, where it is and what to do next.
func (f *sendForm) summaryLines(r *sendResult) []string {
	st := f.ctx.Styles
	d := r.draft
	tx := d.Packet.UnsignedTx
	w := max(20, f.width-2)
	var out []string
	add := func(s string) { out = append(out, " "+s) }
	field := func(label, value string) {
		add(st.Text.Muted.Render(common.PadRight(label, sendLabelWidth)) + st.Text.Normal.Render(value))
	}
	if r.path != "" {
		add(st.Text.Title.Render("Unsigned PSBT written") + st.Text.Muted.Render("  "+f.cfg.Name+" · "+f.cfg.ID))
	} else {
		add(st.Text.Title.Render("Unsigned PSBT built") + st.Text.Muted.Render("  "+f.cfg.Name+" · "+f.cfg.ID+" · demo: not written to a file"))
	}
	add("")

	labels := map[string]string{}
	for _, u := range f.coins {
		labels[u.outpoint] = u.label
	}
	var in int64
	for _, u := range d.Inputs {
		in += u.Value
	}
	field("Inputs", fmt.Sprintf("%d · %s BTC", len(d.Inputs), formatSats(in, false)))
	opW := min(66, max(12, w-4-12-2))
	for _, u := range d.Inputs {
		op := u.OutPoint.String()
		line := "  " + common.PadRight(midTruncate(op, opW), opW) + "  " + common.PadLeft(formatSats(u.Value, false), 10)
		if l := labels[op]; l != "" {
			line += "  " + l
		}
		add(common.Truncate(st.Text.Normal.Render(line), w))
	}

	// Outputs: the recipients in the order typed, then the change.
	field("Outputs", fmt.Sprintf("%d · %s BTC", len(tx.TxOut), formatSats(d.Sent+changeValue(d), false)))
	addrW := min(62, max(12, w-4-12-2-12))
	used := make([]bool, len(tx.TxOut))
	for i, rc := range r.req.Recipients {
		script, _ := wallet.DecodeAddress(rc.Address, f.net)
		value := rc.Sats
		for j, o := range tx.TxOut {
			if !used[j] && j != d.ChangeOutput && bytes.Equal(o.PkScript, script) {
				used[j], value = true, o.Value
				break
			}
		}
		add(common.Truncate(st.Text.Normal.Render("  "+common.PadRight(midTruncate(rc.Address, addrW), addrW)+"  "+
			common.PadLeft(formatSats(value, false), 10))+st.Text.Muted.Render(fmt.Sprintf("  recipient %d", i+1)), w))
	}
	if d.ChangeOutput >= 0 {
		add(common.Truncate(st.Text.Normal.Render("  "+common.PadRight(midTruncate(d.Change.Address, addrW), addrW)+"  "+
			common.PadLeft(formatSats(changeValue(d), false), 10))+st.Text.Muted.Render("  change"), w))
	}
	if d.ChangeOutput >= 0 {
		field("Change", formatSats(changeValue(d), false)+" BTC back to the wallet, "+derivation(f.state.Wallet(), true, d.Change.Index))
	} else {
		field("Change", "none (any remainder below the dust limit goes to the fee)")
	}
	field("Sent", formatSats(d.Sent, false)+" BTC")
	rate := 0.0
	if d.VSize > 0 {
		rate = float64(d.Fee) / float64(d.VSize)
	}
	field("Fee", fmt.Sprintf("%s sat", groupInt(d.Fee)))
	field("Fee rate", fmt.Sprintf("%.1f sat/vB (asked %s)", rate, strconv.FormatFloat(r.req.FeeRate, 'f', -1, 64)))
	field("Size", fmt.Sprintf("%s vB once signed (at most)", groupInt(d.VSize)))
	rbf := "on: replaceable (BIP 125)"
	if r.req.NoRBF {
		rbf = "off: final"
	}
	field("RBF", rbf)
	if r.path != "" {
		field("File", r.path+" (base64)")
	} else {
		field("File", "none: the demo writes nothing to your files")
	}
	add("")
	out = append(out, f.signLines(w, f.canSign, f.backend)...)
	if r.base64 != "" && (f.sign == nil || f.sign.stage == signIdle) {
		add("")
		add(st.Text.Strong.Render("PSBT (base64)"))
		// Unindented and unstyled, so it copies as one text.
		for s := r.base64; s != ""; {
			n := min(len(s), max(16, f.width))
			out = append(out, s[:n])
			s = s[n:]
		}
	}
	if f.sign == nil || f.sign.stage != signFinding && f.sign.stage != signConfirming && f.sign.stage != signAsk && f.sign.stage != signBroadcasting {
		add("")
		add(st.Form.Hint.Render(common.Truncate(f.ctx.Keys.Cancel.Help().Key+" closes", w)))
	}
	return out
}

func changeValue(d *wallet.Draft) int64 {
	if d.ChangeOutput < 0 {
		return 0
	}
	return d.Packet.UnsignedTx.TxOut[d.ChangeOutput].Value
}

// padANSI pads a styled string to w cells.
func padANSI(s string, w int) string {
	if n := w - common.Width(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}

// ---- for tests --------------------------------------------------------------

// SendOpen reports whether the send form (or its summary) is open.
func (m *Model) SendOpen() bool { return m.send != nil }

// SendErrors returns the errors the send form shows, by field name ("" for
// one that belongs to no field).
func (m *Model) SendErrors() map[string]string {
	if m.send == nil {
		return nil
	}
	return m.send.errors()
}

// SendDone returns, once a PSBT is built, the file it was written to (""
// in the demo) and its base64 text (in the demo only).
func (m *Model) SendDone() (path, base64 string, ok bool) {
	if m.send == nil || m.send.result == nil {
		return "", "", false
	}
	return m.send.result.path, m.send.result.base64, true
}

// SendPSBT returns the PSBT the send form built, or nil.
func (m *Model) SendPSBT() *psbt.Packet {
	if m.send == nil || m.send.result == nil {
		return nil
	}
	return m.send.result.draft.Packet
}

// SignedTx returns, once the built PSBT is signed and complete, its txid
// and fee.
func (m *Model) SignedTx() (txid string, fee int64, ok bool) {
	if m.send == nil || m.send.sign == nil || m.send.sign.res == nil || !m.send.sign.res.Complete {
		return "", 0, false
	}
	r := m.send.sign.res
	return r.Tx.TxHash().String(), r.Fee, true
}
