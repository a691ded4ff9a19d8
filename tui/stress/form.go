package stress

import (
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
	pstress "codeberg.org/hardfolio/hardfolio/portfolio/stress"
	"codeberg.org/hardfolio/hardfolio/tui/common"
)

// The form's fields, named as the file's keys so validation errors find
// them.
const (
	fID            = "id"
	fName          = "name"
	fDescription   = "description"
	fSource        = "source"
	fFrom          = "from"
	fTo            = "to"
	fHomeAs        = "home_as"
	fMoves         = "moves"
	fEventNo       = "event_no"
	fKind          = "kind"
	fCustodyKinds  = "custody_kinds"
	fCustodians    = "custodians"
	fJurisdictions = "jurisdictions"
	fAssets        = "assets"
	fDays          = "days"
	fIndefinite    = "indefinite"
	fShare         = "share"
	fRecovery      = "recovery"
	fRecoveryDays  = "recovery_days"
	fPrice         = "price"
	fPriceCurrency = "price_currency"
)

// field is one row of the form: a text input or a choice.
type field struct {
	name, label, hint string
	kinds             []portfolio.EventKind // shown only for these event kinds; nil: always
	event             bool                  // shown only when there is an event
	choice            bool
	options           []string
	sel               int
	input             textinput.Model
	err               string
}

func (f *field) value() string {
	if f.choice {
		return f.options[f.sel]
	}
	return strings.TrimSpace(f.input.Value())
}

// form adds or edits one scenario of the owner's.
type form struct {
	ctx     *common.Context
	editing string // ID of the scenario edited; "" when adding
	orig    portfolio.Scenario
	fields  []*field
	// events are the scenario's custody events being edited; the event
	// fields show events[cur], or a new one when cur == len(events).
	events  []portfolio.CustodyEvent
	cur     int
	slots   []int // the built scenario's event i is events[slots[i]]
	focus   int
	general string
	pending int    // save request ID while saving
	saving  string // ID of the scenario being saved

	width, height, offset int
}

const noEvent = "none"

// openForm opens the form: empty, on a copy of s (a built-in one), or
// on s itself (own).
func (m *Model) openForm(s *portfolio.Scenario, own bool) tea.Cmd {
	if why := m.EditBlocked(); why != "" {
		return common.Status(common.Warn, why)
	}
	f := newForm(m.Context)
	if s != nil {
		f.fill(s)
		if own {
			f.editing, f.orig = s.ID, *s
		} else {
			f.field(fID).input.SetValue(s.ID + "-mine")
			f.field(fName).input.SetValue(s.Name + " (my copy)")
			f.orig = *s
		}
	}
	f.setSize(m.width, m.height)
	m.form = f
	return f.focusCmd()
}

func newForm(ctx *common.Context) *form {
	f := &form{ctx: ctx}
	st := ctx.Styles
	txt := func(name, label, placeholder, hint string) *field {
		ti := textinput.New()
		ti.Prompt = ""
		ti.Placeholder = placeholder
		common.StyleInput(&ti, st)
		return &field{name: name, label: label, hint: hint, input: ti}
	}
	ev := func(fl *field, kinds ...portfolio.EventKind) *field {
		fl.event, fl.kinds = true, kinds
		return fl
	}
	kinds := []string{noEvent}
	for _, k := range portfolio.EventKinds {
		kinds = append(kinds, string(k))
	}
	f.fields = []*field{
		txt(fID, "ID", "e.g. my-crisis", "lower-case letters, digits, . _ -"),
		txt(fName, "Name", "e.g. My crisis", ""),
		txt(fDescription, "Description", "(what happens)", ""),
		txt(fSource, "Source", "(where the figures come from)", ""),
		txt(fFrom, "Replay from", "(YYYY-MM; empty: hypothetical)", "first month of the bundled history replayed"),
		txt(fTo, "Replay to", "(YYYY-MM)", "last month replayed"),
		txt(fHomeAs, "Home follows", "(e.g. TRY)", "in a replay, your home currency follows this currency's history"),
		txt(fMoves, "Moves", "(e.g. BTC -60%, XAU +20%, class cash -10%)", "asset (BTC, XAU, EQUITIES, USD, EUR..., home) or class NAME, then the change"),
		{name: fEventNo, label: "Custody event", choice: true, options: []string{"1 (new)"}, hint: "← → choose the event to edit, or add one"},
		{name: fKind, label: "Event kind", choice: true, options: kinds, hint: "none: no event here (an existing one is removed)"},
		ev(txt(fCustodyKinds, "Custody kinds", "(e.g. exchange, bank)", "hit holdings held this way")),
		ev(txt(fCustodians, "Custodians", "(custodian IDs)", "hit holdings at these custodians")),
		ev(txt(fJurisdictions, "Jurisdictions", "(e.g. CH, home, foreign)", "hit holdings in these countries")),
		ev(txt(fAssets, "Assets", "(btc, gold, etf, cash, other)", "hit holdings of these kinds")),
		ev(txt(fDays, "Days", "(e.g. 30)", "freeze: how long; bail-in: banks closed; confiscation: paid after"), portfolio.EventFreeze, portfolio.EventBailIn, portfolio.EventConfiscation),
		ev(&field{name: fIndefinite, label: "Indefinitely", choice: true, options: []string{"no", "yes"}}, portfolio.EventFreeze),
		ev(txt(fShare, "Share", "(e.g. 47.5%)", "loss: share lost; bail-in: share of deposits above the cap cut"), portfolio.EventLoss, portfolio.EventBailIn),
		ev(txt(fRecovery, "Recovery", "(e.g. 20%)", "share of the loss that comes back"), portfolio.EventLoss),
		ev(txt(fRecoveryDays, "Recovery after", "(days)", "when it comes back"), portfolio.EventLoss),
		ev(txt(fPrice, "Price", "(empty: the day-0 value)", "buy-back price per fine ounce (per BTC, per unit)"), portfolio.EventConfiscation),
		ev(txt(fPriceCurrency, "Price currency", "(e.g. USD)", "the price's currency, and the payment's (default: home currency)"), portfolio.EventConfiscation),
	}
	f.eventOptions()
	return f
}

func (f *form) field(name string) *field {
	for _, fl := range f.fields {
		if fl.name == name {
			return fl
		}
	}
	panic("stress form: no field " + name)
}

func (f *form) eventKind() string { return f.field(fKind).value() }

func (f *form) visible(fl *field) bool {
	if !fl.event {
		return true
	}
	k := f.eventKind()
	if k == noEvent {
		return false
	}
	if fl.kinds == nil {
		return true
	}
	for _, x := range fl.kinds {
		if string(x) == k {
			return true
		}
	}
	return false
}

// fill puts s into the fields; only its first event is shown.
func (f *form) fill(s *portfolio.Scenario) {
	set := func(name, v string) { f.field(name).input.SetValue(v) }
	set(fID, s.ID)
	set(fName, s.Name)
	set(fDescription, s.Description)
	set(fSource, s.Source)
	set(fFrom, s.From)
	set(fTo, s.To)
	set(fHomeAs, s.HomeAs)
	set(fMoves, formatMoves(s.Moves))
	for _, e := range s.Events {
		f.events = append(f.events, cloneEvent(e))
	}
	f.cur = 0
	f.loadEvent()
}

func cloneEvent(e portfolio.CustodyEvent) portfolio.CustodyEvent {
	e.CustodyKinds = append([]portfolio.CustodyKind(nil), e.CustodyKinds...)
	e.Custodians = append([]string(nil), e.Custodians...)
	e.Jurisdictions = append([]string(nil), e.Jurisdictions...)
	e.Assets = append([]portfolio.Kind(nil), e.Assets...)
	return e
}

// eventOptions relabels the event chooser: one entry per event, then a
// new one.
func (f *form) eventOptions() {
	fl := f.field(fEventNo)
	fl.options = fl.options[:0]
	for i := range f.events {
		fl.options = append(fl.options, fmt.Sprintf("%d of %d", i+1, len(f.events)))
	}
	fl.options = append(fl.options, fmt.Sprintf("%d (new)", len(f.events)+1))
	fl.sel = f.cur
}

// loadEvent puts events[cur] (or an empty event) into the event fields.
func (f *form) loadEvent() {
	f.eventOptions()
	for _, name := range []string{fCustodyKinds, fCustodians, fJurisdictions, fAssets, fDays, fShare, fRecovery, fRecoveryDays, fPrice, fPriceCurrency} {
		f.field(name).input.SetValue("")
		f.field(name).err = ""
	}
	f.field(fIndefinite).sel = 0
	f.field(fKind).sel = 0
	if f.cur >= len(f.events) {
		return
	}
	set := func(name, v string) { f.field(name).input.SetValue(v) }
	e := f.events[f.cur]
	kf := f.field(fKind)
	for i, o := range kf.options {
		if o == string(e.Kind) {
			kf.sel = i
		}
	}
	var ck []string
	for _, k := range e.CustodyKinds {
		ck = append(ck, string(k))
	}
	var as []string
	for _, k := range e.Assets {
		as = append(as, string(k))
	}
	set(fCustodyKinds, strings.Join(ck, ", "))
	set(fCustodians, strings.Join(e.Custodians, ", "))
	set(fJurisdictions, strings.Join(e.Jurisdictions, ", "))
	set(fAssets, strings.Join(as, ", "))
	if e.Days != 0 {
		set(fDays, fmt.Sprint(e.Days))
	}
	if e.Indefinite {
		f.field(fIndefinite).sel = 1
	}
	if !e.Share.IsZero() {
		set(fShare, percentText(e.Share))
	}
	if !e.Recovery.IsZero() {
		set(fRecovery, percentText(e.Recovery))
	}
	if e.RecoveryDays != 0 {
		set(fRecoveryDays, fmt.Sprint(e.RecoveryDays))
	}
	if !e.Price.IsZero() {
		set(fPrice, e.Price.String())
	}
	set(fPriceCurrency, e.PriceCurrency)
}

// storeEvent reads the event fields into events[cur], appending a new
// event when cur is past the end and a kind is chosen. It reports false
// when a field does not parse (the error is beside it).
func (f *form) storeEvent() bool {
	k := f.eventKind()
	if k == noEvent {
		if f.cur < len(f.events) {
			f.events[f.cur].Kind = "" // removed when the scenario is built
		}
		return true
	}
	e := portfolio.CustodyEvent{Kind: portfolio.EventKind(k), Custodians: list(f.field(fCustodians).value()),
		Jurisdictions: list(f.field(fJurisdictions).value()), PriceCurrency: strings.ToUpper(f.field(fPriceCurrency).value())}
	if f.cur < len(f.events) {
		e.Note = f.events[f.cur].Note
	}
	for i, j := range e.Jurisdictions {
		if j != portfolio.JurisdictionHome && j != portfolio.JurisdictionForeign {
			e.Jurisdictions[i] = strings.ToUpper(j)
		}
	}
	for _, w := range list(f.field(fCustodyKinds).value()) {
		e.CustodyKinds = append(e.CustodyKinds, portfolio.CustodyKind(w))
	}
	for _, w := range list(f.field(fAssets).value()) {
		e.Assets = append(e.Assets, portfolio.Kind(w))
	}
	ok := true
	num := func(name string, to *int) {
		fl := f.field(name)
		if !f.visible(fl) || fl.value() == "" {
			return
		}
		if _, err := fmt.Sscan(fl.value(), to); err != nil {
			fl.err, ok = "a whole number of days", false
		}
	}
	share := func(name string, to *decimal.Decimal) {
		fl := f.field(name)
		if !f.visible(fl) {
			return
		}
		var err error
		if *to, err = parseShare(fl.value()); err != nil {
			fl.err, ok = err.Error(), false
		}
	}
	num(fDays, &e.Days)
	num(fRecoveryDays, &e.RecoveryDays)
	share(fShare, &e.Share)
	share(fRecovery, &e.Recovery)
	if fl := f.field(fPrice); fl.value() != "" && f.visible(fl) {
		var err error
		if e.Price, err = decimal.NewFromString(fl.value()); err != nil {
			fl.err, ok = "a decimal number", false
		}
	}
	e.Indefinite = f.visible(f.field(fIndefinite)) && f.field(fIndefinite).value() == "yes"
	if !ok {
		return false
	}
	if f.cur < len(f.events) {
		f.events[f.cur] = e
	} else {
		f.events = append(f.events, e)
	}
	return true
}

// switchEvent shows event i, after keeping what the fields say of the
// one shown.
func (f *form) switchEvent(i int) {
	if !f.storeEvent() {
		f.field(fEventNo).sel = f.cur
		return
	}
	f.cur = max(0, min(i, len(f.events)))
	f.loadEvent()
}

// built is the events that remain: those not set to none.
func (f *form) built() (out []portfolio.CustodyEvent, slot []int) {
	for i, e := range f.events {
		if e.Kind != "" {
			out = append(out, e)
			slot = append(slot, i)
		}
	}
	return out, slot
}

var hundred = decimal.NewFromInt(100)

func percentText(d decimal.Decimal) string { return d.Mul(hundred).String() + "%" }

// parseShare reads "47.5%" or "0.475".
func parseShare(s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return decimal.Zero, nil
	}
	pct := strings.HasSuffix(s, "%")
	d, err := decimal.NewFromString(strings.TrimPrefix(strings.TrimSuffix(s, "%"), "+"))
	if err != nil {
		return decimal.Zero, fmt.Errorf("%q is not a number: write 47.5%% or 0.475", s)
	}
	if pct {
		d = d.Div(hundred)
	}
	return d, nil
}

// formatMoves writes moves as the Moves field takes them.
func formatMoves(ms []portfolio.Move) string {
	var parts []string
	for _, m := range ms {
		what := m.Asset
		if m.Class != "" {
			what = "class " + m.Class
		}
		c := percentText(m.Change)
		if !m.Change.IsNegative() {
			c = "+" + c
		}
		parts = append(parts, what+" "+c)
	}
	return strings.Join(parts, ", ")
}

// parseMoves reads "BTC -60%, XAU +20%, class cash -10%".
func parseMoves(s string) ([]portfolio.Move, error) {
	var out []portfolio.Move
	for _, item := range strings.Split(s, ",") {
		words := strings.Fields(item)
		if len(words) == 0 {
			continue
		}
		var m portfolio.Move
		switch {
		case len(words) == 3 && strings.EqualFold(words[0], "class"):
			m.Class = strings.ToLower(words[1])
		case len(words) == 2:
			m.Asset = strings.ToUpper(words[0])
			if strings.EqualFold(words[0], portfolio.JurisdictionHome) {
				m.Asset = portfolio.JurisdictionHome
			}
		default:
			return nil, fmt.Errorf("%q: write ASSET CHANGE or class NAME CHANGE, e.g. BTC -60%%", strings.TrimSpace(item))
		}
		c, err := parseShare(words[len(words)-1])
		if err != nil {
			return nil, err
		}
		m.Change = c
		out = append(out, m)
	}
	return out, nil
}

func list(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, w)
	}
	return out
}

// build reads the fields into a scenario; parse errors go to their
// fields. Events after the first of the scenario edited are kept.
func (f *form) build() portfolio.Scenario {
	s := portfolio.Scenario{
		ID: f.field(fID).value(), Name: f.field(fName).value(), Description: f.field(fDescription).value(),
		Source: f.field(fSource).value(), From: f.field(fFrom).value(), To: f.field(fTo).value(),
		HomeAs: strings.ToUpper(f.field(fHomeAs).value()), Missing: f.orig.Missing,
	}
	var err error
	if s.Moves, err = parseMoves(f.field(fMoves).value()); err != nil {
		f.field(fMoves).err = err.Error()
	}
	f.storeEvent()
	f.eventOptions()
	s.Events, f.slots = f.built()
	return s
}

func (f *form) hasErrors() bool {
	if f.general != "" {
		return true
	}
	for _, fl := range f.fields {
		if fl.err != "" && f.visible(fl) {
			return true
		}
	}
	return false
}

// submit checks the scenario as the file would, runs it once (a replay
// window the history does not cover is an error), and asks the root to
// save.
func (m *Model) submit() tea.Cmd {
	f := m.form
	if why := m.EditBlocked(); why != "" {
		f.general = why
		return nil
	}
	for _, fl := range f.fields {
		fl.err = ""
	}
	f.general = ""
	s := f.build()
	if f.hasErrors() {
		return nil
	}
	next := m.Portfolio().Clone()
	idx := len(next.Scenarios)
	for i := range next.Scenarios {
		if next.Scenarios[i].ID == f.editing && f.editing != "" {
			idx = i
		}
	}
	if idx == len(next.Scenarios) {
		next.Scenarios = append(next.Scenarios, s)
	} else {
		next.Scenarios[idx] = s
	}
	if err := next.Validate(); err != nil {
		f.showErrors(err, idx)
		return nil
	}
	d, err := history.Load()
	if err == nil {
		// The snapshot's valuation is next's: a scenario changes no holding.
		_, err = pstress.Run(m.Snap.Valuation, &next.Scenarios[idx], d)
	}
	if err != nil {
		var we *pstress.WindowError
		if errors.As(err, &we) {
			f.field(fFrom).err = we.Msg
		} else {
			f.general = err.Error()
		}
		return nil
	}
	desc := "Added scenario " + s.ID
	if f.editing != "" {
		desc = "Changed scenario " + s.ID
	}
	f.pending, f.saving = m.NextID(), s.ID
	return common.RequestSave(f.pending, next, desc)
}

// showErrors puts each error of scenario idx next to its field; the
// rest go to the general line.
func (f *form) showErrors(err error, idx int) {
	var general []string
	for _, e := range portfolio.AsErrors(err) {
		var fl *field
		switch {
		case e.Section == "scenario" && e.Index == idx:
			fl = f.find(e.Key)
		case e.Section == "scenario.move" && e.Parent == idx:
			fl = f.field(fMoves)
		case e.Section == "scenario.event" && e.Parent == idx && e.Index < len(f.slots) && f.slots[e.Index] == f.cur:
			fl = f.find(e.Key)
			if fl == nil || !f.visible(fl) {
				fl = f.field(fKind)
			}
		}
		msg := e.Msg
		if e.Section == "scenario.event" && fl == nil && e.Index < len(f.slots) {
			general = append(general, fmt.Sprintf("event %d: %s: %s", f.slots[e.Index]+1, e.Key, e.Msg))
			continue
		}
		if e.Section == "scenario.move" {
			msg = fmt.Sprintf("move #%d: %s", e.Index+1, e.Msg)
		}
		if fl == nil {
			general = append(general, e.Error())
			continue
		}
		if fl.err == "" {
			fl.err = msg
		}
	}
	if len(general) == 0 && !f.hasErrors() {
		general = append(general, err.Error())
	}
	f.general = strings.Join(general, "\n")
}

func (f *form) find(name string) *field {
	for _, fl := range f.fields {
		if fl.name == name {
			return fl
		}
	}
	return nil
}

// ---- keys, focus and drawing ------------------------------------------------

func (f *form) focusCmd() tea.Cmd {
	for i, fl := range f.fields {
		if fl.choice {
			continue
		}
		if i == f.focus {
			return fl.input.Focus()
		}
		fl.input.Blur()
	}
	return nil
}

func (f *form) moveFocus(dir int) {
	n := len(f.fields)
	for i := 1; i <= n; i++ {
		j := (f.focus + dir*i + n*i) % n
		if f.visible(f.fields[j]) {
			f.focus = j
			break
		}
	}
	f.focusCmd()
	f.scrollToFocus()
}

func (f *form) update(msg tea.Msg) tea.Cmd {
	cur := f.fields[f.focus]
	if cur.choice {
		return nil
	}
	var cmd tea.Cmd
	cur.input, cmd = cur.input.Update(msg)
	return cmd
}

func (m *Model) formKey(msg tea.KeyMsg) tea.Cmd {
	f, km := m.form, m.Keys
	if f.pending != 0 {
		return nil
	}
	cur := f.fields[f.focus]
	switch {
	case key.Matches(msg, km.Cancel):
		m.form = nil
		m.layout()
		return nil
	case key.Matches(msg, km.Submit):
		return m.submit()
	case key.Matches(msg, km.NextField), key.Matches(msg, km.Accept):
		f.moveFocus(1)
		return nil
	case key.Matches(msg, km.PrevField):
		f.moveFocus(-1)
		return nil
	}
	if cur.choice {
		sel := cur.sel
		switch {
		case key.Matches(msg, km.NextOption):
			sel = (sel + 1) % len(cur.options)
		case key.Matches(msg, km.PrevOption):
			sel = (sel - 1 + len(cur.options)) % len(cur.options)
		}
		cur.err = ""
		if cur.name == fEventNo {
			f.switchEvent(sel)
		} else {
			cur.sel = sel
		}
		return nil
	}
	var cmd tea.Cmd
	cur.input, cmd = cur.input.Update(msg)
	cur.err = ""
	return cmd
}

const labelWidth = 15

func (f *form) inputWidth() int { return max(8, min(40, f.width-4-labelWidth-2)) }

func (f *form) setSize(w, h int) {
	f.width, f.height = w, h
	for _, fl := range f.fields {
		fl.input.Width = f.inputWidth() - 1
	}
	f.scrollToFocus()
}

func (f *form) lines() (lines []string, focusLine int) {
	st := f.ctx.Styles
	title := "Add a scenario"
	if f.orig.ID != "" && f.editing == "" {
		title = "Add a scenario: a copy of " + f.orig.ID
	}
	if f.editing != "" {
		title = "Edit scenario " + f.editing
	}
	lines = append(lines, st.Text.Title.Render(title), "")
	iw := f.inputWidth()
	for i, fl := range f.fields {
		if !f.visible(fl) {
			continue
		}
		focused := i == f.focus
		marker, label := "  ", st.Form.Label.Render(common.PadRight(fl.label, labelWidth))
		if focused {
			marker, label = st.Form.Marker.Render("› "), st.Form.LabelFocused.Render(common.PadRight(fl.label, labelWidth))
			focusLine = len(lines)
		}
		var input string
		if fl.choice {
			arrows := st.Form.OptionArrows
			if focused {
				arrows = st.Form.Marker
			}
			opt := fl.options[fl.sel]
			input = arrows.Render("‹ ") + st.Form.Option.Render(opt) + arrows.Render(" ›") + strings.Repeat(" ", max(0, iw-4-common.Width(opt)))
		} else {
			input = fl.input.View()
			if n := iw - common.Width(input); n > 0 {
				input += strings.Repeat(" ", n)
			}
		}
		line := marker + label + input
		switch {
		case fl.err != "":
			line += "  " + st.Form.Error.Render("✗ "+fl.err)
		case focused && fl.hint != "":
			line += "  " + st.Form.Hint.Render(fl.hint)
		}
		lines = append(lines, common.Truncate(line, f.width-2))
	}
	lines = append(lines, "")
	for _, l := range strings.Split(f.general, "\n") {
		if l != "" {
			lines = append(lines, st.Form.Error.Render(common.Truncate("✗ "+l, f.width-3)))
		}
	}
	if f.pending != 0 {
		lines = append(lines, st.Text.Muted.Render("Saving…"))
	} else {
		km := f.ctx.Keys
		lines = append(lines, st.Form.Hint.Render(common.Truncate(fmt.Sprintf("%s saves once every value is valid · %s cancels", km.Submit.Help().Key, km.Cancel.Help().Key), f.width-3)))
	}
	return lines, focusLine
}

func (f *form) scrollToFocus() {
	if f.height <= 0 {
		return
	}
	lines, fl := f.lines()
	if fl < f.offset {
		f.offset = fl
	}
	if fl >= f.offset+f.height {
		f.offset = fl - f.height + 1
	}
	f.offset = max(0, min(f.offset, len(lines)-f.height))
}

func (f *form) view() string {
	lines, _ := f.lines()
	end := min(len(lines), f.offset+f.height)
	out := lines[min(f.offset, end):end]
	for i := range out {
		out[i] = " " + out[i]
	}
	return strings.Join(out, "\n")
}
