package holdings

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/tui/common"
)

// Field names of the holding form. Tests and FormErrors use them.
const (
	FieldKind         = "kind"
	FieldBTCAmount    = "btc_amount"
	FieldBTCUnit      = "btc_unit"
	FieldWeight       = "weight"
	FieldWeightUnit   = "weight_unit"
	FieldFineness     = "fineness"
	FieldPieces       = "pieces"
	FieldForm         = "form"
	FieldSerial       = "serial"
	FieldTicker       = "ticker"
	FieldShares       = "shares"
	FieldOzPerShare   = "oz_per_share"
	FieldOzDate       = "oz_per_share_date"
	FieldExpense      = "expense_ratio"
	FieldCurrency     = "currency"
	FieldCashAmount   = "amount"
	FieldSymbol       = "symbol"
	FieldUnits        = "units"
	FieldCustodian    = "custodian"
	FieldNewCustName  = "new_custodian_name"
	FieldNewCustKind  = "new_custodian_kind"
	FieldNewCustJuris = "new_custodian_jurisdiction"
	FieldName         = "name"
	FieldID           = "id"
)

// newCustodian is the custodian option that opens the new-custodian fields.
const newCustodian = "\x00new"

type option struct {
	value string
	label string
}

// field is one row of the form: a text input or a choice.
type field struct {
	name    string
	label   string
	hint    string // shown beside the focused field when it has no error
	kinds   []portfolio.Kind
	newCust bool // shown only when a new custodian is being added
	fixed   bool // shown, not editable

	choice  bool
	options []option
	sel     int

	input textinput.Model
	err   string

	// errKeys are the portfolio.FieldError section.key pairs shown here.
	errKeys []string
}

func (f *field) value() string {
	if f.choice {
		if f.sel < len(f.options) {
			return f.options[f.sel].value
		}
		return ""
	}
	return strings.TrimSpace(f.input.Value())
}

func (f *field) selectValue(v string) {
	for i, o := range f.options {
		if o.value == v {
			f.sel = i
			return
		}
	}
}

// form adds or edits one holding.
type form struct {
	ctx     *common.Context
	editing string            // ID of the holding edited; "" when adding
	orig    portfolio.Holding // the holding edited, for the fields the form does not show
	fields  []*field
	focus   int
	general string // an error that belongs to no field
	pending int    // save request ID while saving
	saving  string // ID of the holding being saved

	custTouched bool // the user chose a custodian; stop proposing one per kind

	width, height int
	offset        int
}

// openForm opens the add form (id == "") or the edit form of holding id.
func (m *Model) openForm(id string) tea.Cmd {
	if why := m.EditBlocked(); why != "" {
		return common.Status(common.Warn, why)
	}
	f := newForm(m.Context, m.Portfolio(), id)
	f.setSize(m.width, m.height)
	m.form = f
	return f.focusCmd()
}

func newForm(ctx *common.Context, p *portfolio.Portfolio, id string) *form {
	f := &form{ctx: ctx, editing: id}
	txt := func(name, label, placeholder, hint string, kinds []portfolio.Kind, errKeys ...string) *field {
		ti := textinput.New()
		ti.Prompt = ""
		ti.Placeholder = placeholder
		common.StyleInput(&ti, ctx.Styles)
		return &field{name: name, label: label, hint: hint, kinds: kinds, input: ti, errKeys: errKeys}
	}
	choice := func(name, label string, opts []option, kinds []portfolio.Kind, errKeys ...string) *field {
		return &field{name: name, label: label, choice: true, options: opts, kinds: kinds, errKeys: errKeys}
	}
	btc := []portfolio.Kind{portfolio.KindBTC}
	gold := []portfolio.Kind{portfolio.KindGold}
	etf := []portfolio.Kind{portfolio.KindETF}
	cash := []portfolio.Kind{portfolio.KindCash}
	other := []portfolio.Kind{portfolio.KindOther}

	var kinds []option
	for _, k := range portfolio.Kinds {
		kinds = append(kinds, option{string(k), kindLabel(k)})
	}
	var weightUnits []option
	for _, u := range portfolio.WeightUnits {
		weightUnits = append(weightUnits, option{string(u), weightUnitLabel(u)})
	}
	var custs []option
	for _, c := range p.Custodians {
		custs = append(custs, option{c.ID, c.Name})
	}
	custs = append(custs, option{newCustodian, "New custodian…"})
	var custKinds []option
	for _, k := range portfolio.CustodyKinds {
		custKinds = append(custKinds, option{string(k), k.Label()})
	}

	f.fields = []*field{
		choice(FieldKind, "Kind", kinds, nil, "holding.kind"),

		txt(FieldBTCAmount, "Amount", "e.g. 0.5", "in BTC or sats (next field)", btc, "holding.sats"),
		choice(FieldBTCUnit, "Unit", []option{{"btc", "BTC"}, {"sats", "sats"}}, btc),

		txt(FieldWeight, "Weight", "e.g. 1", "gross weight of one piece", gold, "holding.weight"),
		choice(FieldWeightUnit, "Weight unit", weightUnits, gold, "holding.weight_unit"),
		txt(FieldFineness, "Fineness", "e.g. 0.9999", "0.9999 for 24k, 0.9167 for 22k", gold, "holding.fineness"),
		txt(FieldPieces, "Pieces", "e.g. 1", "how many coins or bars", gold, "holding.pieces"),
		choice(FieldForm, "Form", []option{{string(portfolio.FormCoin), "coin"}, {string(portfolio.FormBar), "bar"}}, gold, "holding.form"),
		txt(FieldSerial, "Serial", "optional", "bar serial number", gold, "holding.serial"),

		txt(FieldTicker, "Ticker", "e.g. GLD", "as quoted in the price book", etf, "holding.ticker"),
		txt(FieldShares, "Shares", "e.g. 40", "", etf, "holding.shares"),
		txt(FieldOzPerShare, "Oz per share", "e.g. 0.0914", "fine troy ounces per share, from the issuer", etf, "holding.oz_per_share"),
		txt(FieldOzDate, "As of", "YYYY-MM-DD", "the date of that figure", etf, "holding.oz_per_share_date"),
		txt(FieldExpense, "Expense ratio", "e.g. 0.40%", "yearly fee: 0.40% or 0.004", etf, "holding.expense_ratio"),

		txt(FieldCurrency, "Currency", "e.g. EUR", "ISO 4217 code", cash, "holding.currency"),
		txt(FieldCashAmount, "Amount", "e.g. 25000", "", cash, "holding.amount"),

		txt(FieldSymbol, "Symbol", "e.g. VWRL", "as quoted in the price book", other, "holding.symbol", "holding.ticker"),
		txt(FieldUnits, "Units", "e.g. 100", "", other, "holding.units"),

		choice(FieldCustodian, "Custodian", custs, nil, "holding.custodian"),
		txt(FieldNewCustName, "  Name", "e.g. Coldcard", "who or what holds it", nil, "custodian.name", "custodian.id"),
		choice(FieldNewCustKind, "  Kind", custKinds, nil, "custodian.kind"),
		txt(FieldNewCustJuris, "  Country", "e.g. CH", "ISO 3166 code of its jurisdiction", nil, "custodian.jurisdiction"),

		txt(FieldName, "Name", "optional label", "shown instead of the asset", nil, "holding.name"),
		txt(FieldID, "ID", "", "lower-case letters, digits, - _ .", nil, "holding.id"),
	}
	for _, fl := range f.fields {
		if strings.HasPrefix(fl.name, "new_custodian") {
			fl.newCust = true
		}
	}
	f.field(FieldFineness).input.SetValue("0.9999")
	f.field(FieldPieces).input.SetValue("1")
	f.field(FieldOzDate).input.SetValue(portfolio.AsOfDate(ctx.Now()).Format(time.DateOnly))
	f.field(FieldNewCustJuris).input.SetValue(p.Settings.HomeCountry)

	if id == "" {
		f.proposeCustodian()
	} else if i := p.HoldingIndex(id); i >= 0 {
		f.orig = p.Holdings[i]
		f.fill(&f.orig)
		f.field(FieldKind).fixed = true
		f.field(FieldID).fixed = true
		f.custTouched = true
	}
	f.focus = -1
	f.moveFocus(1)
	f.updateIDPlaceholder()
	return f
}

func kindLabel(k portfolio.Kind) string {
	switch k {
	case portfolio.KindBTC:
		return "Bitcoin"
	case portfolio.KindGold:
		return "Gold coins or bars"
	case portfolio.KindETF:
		return "Gold ETF"
	case portfolio.KindCash:
		return "Cash"
	}
	return "Other (fund, stock…)"
}

func weightUnitLabel(u portfolio.WeightUnit) string {
	switch u {
	case portfolio.TroyOunce:
		return "oz (troy)"
	case portfolio.Gram:
		return "g"
	case portfolio.Kilogram:
		return "kg"
	case portfolio.Tael:
		return "tael (HK)"
	}
	return string(u)
}

// fill puts an existing holding into the fields.
func (f *form) fill(h *portfolio.Holding) {
	set := func(name, v string) { f.field(name).input.SetValue(v) }
	f.field(FieldKind).selectValue(string(h.Kind))
	f.field(FieldCustodian).selectValue(h.Custodian)
	set(FieldName, h.Name)
	set(FieldID, h.ID)
	switch h.Kind {
	case portfolio.KindBTC:
		set(FieldBTCAmount, h.BTC().String())
	case portfolio.KindGold:
		set(FieldWeight, h.Weight.String())
		f.field(FieldWeightUnit).selectValue(string(h.WeightUnit))
		set(FieldFineness, h.Fineness.String())
		set(FieldPieces, strconv.FormatInt(h.Pieces, 10))
		f.field(FieldForm).selectValue(string(h.Form))
		set(FieldSerial, h.Serial)
	case portfolio.KindETF:
		set(FieldTicker, h.Ticker)
		set(FieldShares, h.Units.String())
		set(FieldOzPerShare, h.OzPerShare.String())
		if !h.OzPerShareDate.IsZero() {
			set(FieldOzDate, h.OzPerShareDate.Format(time.DateOnly))
		}
		set(FieldExpense, h.ExpenseRatio.String())
	case portfolio.KindCash:
		set(FieldCurrency, h.Currency)
		set(FieldCashAmount, h.Amount.String())
	case portfolio.KindOther:
		set(FieldSymbol, h.Ticker)
		set(FieldUnits, h.Units.String())
	}
}

func (f *form) field(name string) *field {
	for _, fl := range f.fields {
		if fl.name == name {
			return fl
		}
	}
	panic("holdings: no form field " + name)
}

func (f *form) kind() portfolio.Kind { return portfolio.Kind(f.field(FieldKind).value()) }

func (f *form) addingCustodian() bool { return f.field(FieldCustodian).value() == newCustodian }

// visible reports whether a field applies to the kind and custodian chosen.
func (f *form) visible(fl *field) bool {
	if fl.newCust && !f.addingCustodian() {
		return false
	}
	if len(fl.kinds) == 0 {
		return true
	}
	for _, k := range fl.kinds {
		if k == f.kind() {
			return true
		}
	}
	return false
}

func (f *form) focusable(i int) bool {
	fl := f.fields[i]
	return f.visible(fl) && !fl.fixed
}

func (f *form) focused() *field {
	if f.focus < 0 || f.focus >= len(f.fields) {
		return nil
	}
	return f.fields[f.focus]
}

// moveFocus moves to the next (dir 1) or previous (-1) editable field,
// wrapping around.
func (f *form) moveFocus(dir int) {
	if cur := f.focused(); cur != nil && !cur.choice {
		cur.input.Blur()
	}
	n := len(f.fields)
	i := f.focus
	for range n {
		i = (i + dir + n) % n
		if f.focusable(i) {
			break
		}
	}
	f.focus = i
	if cur := f.focused(); cur != nil && !cur.choice {
		cur.input.Focus()
		cur.input.CursorEnd()
	}
	f.scrollToFocus()
}

func (f *form) focusCmd() tea.Cmd {
	if cur := f.focused(); cur != nil && !cur.choice {
		return cur.input.Focus()
	}
	return nil
}

// lastFocusable reports whether the focus is on the last editable field.
func (f *form) lastFocusable() bool {
	for i := f.focus + 1; i < len(f.fields); i++ {
		if f.focusable(i) {
			return false
		}
	}
	return true
}

// proposeCustodian picks a custodian that suits the kind until the user
// chooses one: a hardware wallet for bitcoin, a safe or vault for gold, a
// broker for an ETF, a bank for cash.
func (f *form) proposeCustodian() {
	if f.custTouched {
		return
	}
	fl := f.field(FieldCustodian)
	prefer := map[portfolio.Kind][]portfolio.CustodyKind{
		portfolio.KindBTC:   {portfolio.CustodyHardwareWallet, portfolio.CustodyMultisig, portfolio.CustodyExchange},
		portfolio.KindGold:  {portfolio.CustodyHomeSafe, portfolio.CustodyVault},
		portfolio.KindETF:   {portfolio.CustodyBroker},
		portfolio.KindCash:  {portfolio.CustodyBank},
		portfolio.KindOther: {portfolio.CustodyBroker, portfolio.CustodyBank},
	}[f.kind()]
	p := f.ctx.Portfolio()
	for _, ck := range prefer {
		for _, c := range p.Custodians {
			if c.Kind == ck {
				fl.selectValue(c.ID)
				return
			}
		}
	}
	fl.sel = 0
}

func (f *form) setSize(w, h int) {
	f.width, f.height = w, h
	iw := f.inputWidth()
	for _, fl := range f.fields {
		fl.input.Width = iw - 1
	}
	f.scrollToFocus()
}

const labelWidth = 15

func (f *form) inputWidth() int { return max(8, min(34, f.width-4-labelWidth-2)) }

// update passes other messages (cursor blinks) to the focused input.
func (f *form) update(msg tea.Msg) tea.Cmd {
	if cur := f.focused(); cur != nil && !cur.choice {
		var cmd tea.Cmd
		cur.input, cmd = cur.input.Update(msg)
		return cmd
	}
	return nil
}

// formKey handles a key while the form is open.
func (m *Model) formKey(msg tea.KeyMsg) tea.Cmd {
	f, km := m.form, m.Keys
	if f.pending != 0 {
		return nil // saving: wait for the reply
	}
	cur := f.focused()
	switch {
	case key.Matches(msg, km.Cancel):
		m.form = nil
		return nil
	case key.Matches(msg, km.Submit):
		return m.submit()
	case key.Matches(msg, km.Accept):
		if f.lastFocusable() {
			return m.submit()
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
	if cur == nil {
		return nil
	}
	if cur.choice {
		switch {
		case key.Matches(msg, km.NextOption):
			cur.sel = (cur.sel + 1) % len(cur.options)
		case key.Matches(msg, km.PrevOption):
			cur.sel = (cur.sel - 1 + len(cur.options)) % len(cur.options)
		case msg.Type == tea.KeyRunes && len(msg.Runes) == 1:
			// Type-ahead: jump to the next option starting with the letter.
			r := strings.ToLower(string(msg.Runes))
			for i := 1; i <= len(cur.options); i++ {
				j := (cur.sel + i) % len(cur.options)
				if strings.HasPrefix(strings.ToLower(cur.options[j].label), r) {
					cur.sel = j
					break
				}
			}
		default:
			return nil
		}
		f.choiceChanged(cur)
		return nil
	}
	var cmd tea.Cmd
	cur.input, cmd = cur.input.Update(msg)
	cur.err = ""
	f.updateIDPlaceholder()
	return cmd
}

func (f *form) choiceChanged(fl *field) {
	fl.err = ""
	switch fl.name {
	case FieldKind:
		f.proposeCustodian()
	case FieldCustodian:
		f.custTouched = true
	case FieldBTCUnit:
		f.convertBTCAmount()
	}
	f.updateIDPlaceholder()
	f.scrollToFocus()
}

// convertBTCAmount rewrites the amount typed when the unit switches
// between BTC and sats, so the quantity stays what it was.
func (f *form) convertBTCAmount() {
	fl := f.field(FieldBTCAmount)
	toSats := f.field(FieldBTCUnit).value() == "sats"
	sats, err := parseSats(fl.value(), !toSats)
	if err != nil || fl.value() == "" {
		return
	}
	if toSats {
		fl.input.SetValue(strconv.FormatInt(sats, 10))
	} else {
		fl.input.SetValue(decimal.New(sats, -8).String())
	}
}

// ---- building the holding ---------------------------------------------------

// build reads the fields into a holding (and a new custodian, if one is
// being added), recording a parse error next to each field it cannot read.
func (f *form) build() (portfolio.Holding, *portfolio.Custodian) {
	h := portfolio.Holding{}
	if f.editing != "" {
		h = f.orig
		h.Lots = append([]portfolio.Lot(nil), f.orig.Lots...)
	}
	h.Kind = f.kind()
	h.Name = f.field(FieldName).value()

	dec := func(name string, required bool) decimal.Decimal {
		fl := f.field(name)
		d, err := parseDecimal(fl.value(), required)
		if err != nil {
			fl.err = err.Error()
		}
		return d
	}
	switch h.Kind {
	case portfolio.KindBTC:
		fl := f.field(FieldBTCAmount)
		sats, err := parseSats(fl.value(), f.field(FieldBTCUnit).value() == "sats")
		if err != nil {
			fl.err = err.Error()
		}
		h.Sats = sats
	case portfolio.KindGold:
		h.Weight = dec(FieldWeight, true)
		h.WeightUnit = portfolio.WeightUnit(f.field(FieldWeightUnit).value())
		h.Fineness = dec(FieldFineness, true)
		pf := f.field(FieldPieces)
		n, err := parseInt(pf.value())
		if err != nil {
			pf.err = err.Error()
		}
		h.Pieces = n
		h.Form = portfolio.GoldForm(f.field(FieldForm).value())
		h.Serial = f.field(FieldSerial).value()
	case portfolio.KindETF:
		h.Ticker = strings.ToUpper(f.field(FieldTicker).value())
		h.Units = dec(FieldShares, true)
		h.OzPerShare = dec(FieldOzPerShare, true)
		df := f.field(FieldOzDate)
		if v := df.value(); v == "" {
			h.OzPerShareDate = time.Time{}
		} else if t, err := time.Parse(time.DateOnly, v); err != nil {
			df.err = "want a date as YYYY-MM-DD"
		} else {
			h.OzPerShareDate = t
		}
		ef := f.field(FieldExpense)
		er, err := parseRatio(ef.value())
		if err != nil {
			ef.err = err.Error()
		}
		h.ExpenseRatio = er
	case portfolio.KindCash:
		h.Currency = strings.ToUpper(f.field(FieldCurrency).value())
		h.Amount = dec(FieldCashAmount, true)
	case portfolio.KindOther:
		h.Ticker = strings.ToUpper(f.field(FieldSymbol).value())
		h.Units = dec(FieldUnits, true)
	}

	var nc *portfolio.Custodian
	p := f.ctx.Portfolio()
	if f.addingCustodian() {
		name := f.field(FieldNewCustName).value()
		nc = &portfolio.Custodian{
			ID:           custodianID(p, name),
			Name:         name,
			Kind:         portfolio.CustodyKind(f.field(FieldNewCustKind).value()),
			Jurisdiction: strings.ToUpper(f.field(FieldNewCustJuris).value()),
		}
		h.Custodian = nc.ID
	} else {
		h.Custodian = f.field(FieldCustodian).value()
	}

	if f.editing == "" {
		h.ID = f.field(FieldID).value()
		if h.ID == "" {
			h.ID = f.autoID(&h)
		}
	}
	return h, nc
}

// autoID proposes an ID from the asset and the custodian: btc-ledger,
// gld-ibkr, eur-sparkasse.
func (f *form) autoID(h *portfolio.Holding) string {
	var asset string
	switch h.Kind {
	case portfolio.KindBTC:
		asset = "btc"
	case portfolio.KindGold:
		asset = "gold"
	case portfolio.KindETF, portfolio.KindOther:
		asset = h.Ticker
	case portfolio.KindCash:
		asset = h.Currency
	}
	if asset == "" {
		asset = string(h.Kind)
	}
	base := asset
	if h.Custodian != "" {
		base += "-" + h.Custodian
	}
	return f.ctx.Portfolio().NewHoldingID(base)
}

func (f *form) updateIDPlaceholder() {
	if f.editing != "" {
		return
	}
	fl := f.field(FieldID)
	h := portfolio.Holding{Kind: f.kind()}
	switch h.Kind {
	case portfolio.KindETF:
		h.Ticker = f.field(FieldTicker).value()
	case portfolio.KindOther:
		h.Ticker = f.field(FieldSymbol).value()
	case portfolio.KindCash:
		h.Currency = f.field(FieldCurrency).value()
	}
	if f.addingCustodian() {
		h.Custodian = custodianID(f.ctx.Portfolio(), f.field(FieldNewCustName).value())
	} else {
		h.Custodian = f.field(FieldCustodian).value()
	}
	fl.input.Placeholder = f.autoID(&h) + " (automatic)"
}

// custodianID proposes an unused custodian ID from a name.
func custodianID(p *portfolio.Portfolio, name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(name)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '_' || r == '.':
			b.WriteRune('-')
		}
	}
	id := strings.Trim(b.String(), "-")
	for strings.Contains(id, "--") {
		id = strings.ReplaceAll(id, "--", "-")
	}
	if len(id) > 56 {
		id = strings.Trim(id[:56], "-")
	}
	if id == "" {
		id = "custodian"
	}
	if p.Custodian(id) == nil {
		return id
	}
	for n := 2; ; n++ {
		c := fmt.Sprintf("%s-%d", id, n)
		if p.Custodian(c) == nil {
			return c
		}
	}
}

// submit checks the form and, when everything is valid, asks the root to
// save. Otherwise every problem is shown next to its field and nothing is
// saved.
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
	h, nc := f.build()

	p := m.Portfolio()
	base := p
	if nc != nil {
		base = p.Clone()
		base.Custodians = append(base.Custodians, *nc)
	}
	next, err := base.WithHolding(h, f.editing != "")
	if err != nil {
		f.showErrors(err)
		return nil
	}
	if f.hasErrors() {
		return nil
	}
	var desc string
	cust := next.Custodian(h.Custodian)
	if f.editing == "" {
		desc = "Added " + describe(&h) + " at " + cust.Name
	} else {
		desc = "Changed " + describe(&h)
	}
	f.pending = m.NextID()
	f.saving = h.ID
	return common.RequestSave(f.pending, next, desc)
}

func (f *form) hasErrors() bool {
	if f.general != "" {
		return true
	}
	for _, fl := range f.visibleFields() {
		if fl.err != "" {
			return true
		}
	}
	return false
}

// showErrors puts each portfolio.FieldError next to the field its Key
// names; errors no field shows go to the general line. A field that
// already has a parse error keeps it.
func (f *form) showErrors(err error) {
	fes := portfolio.AsErrors(err)
	if len(fes) == 0 {
		f.general = err.Error()
		return
	}
	var general []string
	for _, fe := range fes {
		fl := f.fieldFor(fe)
		if fl == nil {
			general = append(general, fe.Error())
			continue
		}
		if fl.err == "" {
			fl.err = cleanMessage(fe.Msg)
		}
	}
	f.general = strings.Join(general, "; ")
	// Put the focus on the first field in error.
	for i, fl := range f.fields {
		if fl.err != "" && f.focusable(i) {
			if cur := f.focused(); cur != nil && !cur.choice {
				cur.input.Blur()
			}
			f.focus = i
			if !fl.choice {
				fl.input.Focus()
			}
			break
		}
	}
	f.scrollToFocus()
}

func (f *form) fieldFor(fe *portfolio.FieldError) *field {
	k := fe.Section + "." + fe.Key
	for _, fl := range f.fields {
		if !f.visible(fl) {
			continue
		}
		for _, ek := range fl.errKeys {
			if ek == k {
				return fl
			}
		}
	}
	return nil
}

// cleanMessage drops the ", got <value>" tail of a domain message: the
// value is right there in the field, and for bitcoin it would be in sats.
func cleanMessage(msg string) string {
	if i := strings.Index(msg, ", got "); i >= 0 {
		return msg[:i]
	}
	return msg
}

func (f *form) errors() map[string]string {
	out := map[string]string{}
	for _, fl := range f.visibleFields() {
		if fl.err != "" {
			out[fl.name] = fl.err
		}
	}
	if f.general != "" {
		out[""] = f.general
	}
	return out
}

func (f *form) visibleFields() []*field {
	var out []*field
	for _, fl := range f.fields {
		if f.visible(fl) {
			out = append(out, fl)
		}
	}
	return out
}

// ---- parsing ----------------------------------------------------------------

// cleanNumber removes digit grouping: spaces, underscores and, when a dot
// is the decimal point, commas. A lone comma is refused rather than
// guessed at.
func cleanNumber(s string) (string, error) {
	s = strings.NewReplacer(" ", "", "_", "", "'", "").Replace(s)
	if strings.Contains(s, ",") {
		if !strings.Contains(s, ".") && !groupedThousands(s) {
			return "", fmt.Errorf("use a dot for decimals (0.5)")
		}
		s = strings.ReplaceAll(s, ",", "")
	}
	return s, nil
}

// groupedThousands reports whether every comma in s separates groups of
// three digits (25,000 or 1,000,000).
func groupedThousands(s string) bool {
	parts := strings.Split(strings.TrimPrefix(s, "-"), ",")
	for i, p := range parts {
		if (i > 0 && len(p) != 3) || (i == 0 && (len(p) == 0 || len(p) > 3)) {
			return false
		}
	}
	return true
}

func parseDecimal(s string, required bool) (decimal.Decimal, error) {
	if s == "" {
		if required {
			return decimal.Zero, fmt.Errorf("is required")
		}
		return decimal.Zero, nil
	}
	c, err := cleanNumber(s)
	if err != nil {
		return decimal.Zero, err
	}
	d, err := decimal.NewFromString(c)
	if err != nil {
		return decimal.Zero, fmt.Errorf("not a number")
	}
	return d, nil
}

func parseInt(s string) (int64, error) {
	if s == "" {
		return 0, fmt.Errorf("is required")
	}
	c, err := cleanNumber(s)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(c, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("want a whole number")
	}
	return n, nil
}

// parseSats reads a bitcoin amount in BTC (at most 8 decimals) or in sats.
func parseSats(s string, inSats bool) (int64, error) {
	if inSats {
		return parseInt(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(s), "sats"), "sat"))
	}
	d, err := parseDecimal(strings.TrimSpace(strings.TrimSuffix(strings.ToUpper(s), "BTC")), true)
	if err != nil {
		return 0, err
	}
	if d.Exponent() < -8 && !d.Equal(d.Truncate(8)) {
		return 0, fmt.Errorf("at most 8 decimals (1 sat = 0.00000001)")
	}
	sats := d.Shift(8)
	if sats.Abs().GreaterThan(decimal.New(21_000_001, 8)) {
		return 0, fmt.Errorf("more than 21 million BTC")
	}
	return sats.IntPart(), nil
}

// parseRatio reads a fraction (0.004) or a percentage (0.40%).
func parseRatio(s string) (decimal.Decimal, error) {
	pct := strings.HasSuffix(s, "%")
	d, err := parseDecimal(strings.TrimSpace(strings.TrimSuffix(s, "%")), false)
	if err != nil {
		return d, err
	}
	if pct {
		d = d.Div(decimal.NewFromInt(100))
	}
	return d, nil
}

// ---- rendering --------------------------------------------------------------

// lines renders the form; focusLine is the line of the focused field.
func (f *form) lines() (lines []string, focusLine int) {
	st := f.ctx.Styles
	km := f.ctx.Keys
	title := "Add holding"
	if f.editing != "" {
		title = "Edit holding " + f.editing
	}
	head := st.Text.Title.Render(title)
	if f.ctx.Demo {
		note := "demo: changes stay in memory"
		head += strings.Repeat(" ", max(2, f.width-4-common.Width(title)-common.Width(note))) + st.Text.Muted.Render(note)
	}
	lines = append(lines, head, "")

	iw := f.inputWidth()
	errX := 2 + labelWidth + iw + 2
	room := f.width - 2 - errX
	for i, fl := range f.fields {
		if !f.visible(fl) {
			continue
		}
		focused := i == f.focus
		marker := "  "
		label := st.Form.Label.Render(common.PadRight(fl.label, labelWidth))
		if focused {
			marker = st.Form.Marker.Render("› ")
			label = st.Form.LabelFocused.Render(common.PadRight(fl.label, labelWidth))
		}
		var input string
		switch {
		case fl.fixed && fl.choice:
			input = st.Text.Muted.Render(common.PadRight(fl.options[fl.sel].label, iw))
		case fl.fixed:
			input = st.Text.Muted.Render(common.PadRight(fl.input.Value(), iw))
		case fl.choice:
			arrows := st.Form.OptionArrows
			if focused {
				arrows = st.Form.Marker
			}
			opt := common.Truncate(fl.options[fl.sel].label, iw-4)
			input = arrows.Render("‹ ") + st.Form.Option.Render(opt) + arrows.Render(" ›") +
				strings.Repeat(" ", max(0, iw-4-common.Width(opt)))
		default:
			input = padANSI(fl.input.View(), iw)
		}
		line := marker + label + input
		note := ""
		noteStyle := st.Form.Error
		switch {
		case fl.err != "":
			note = "✗ " + fl.err
		case focused && fl.hint != "":
			note, noteStyle = fl.hint, st.Form.Hint
		}
		if focused {
			focusLine = len(lines)
		}
		switch {
		case note == "":
			lines = append(lines, line)
		case common.Width(note) <= room:
			lines = append(lines, line+"  "+noteStyle.Render(note))
		case fl.err != "":
			// Too long for the space beside the field: under it.
			lines = append(lines, line, strings.Repeat(" ", 2+labelWidth)+noteStyle.Render(common.Truncate(note, f.width-4-labelWidth)))
		case room >= 12:
			lines = append(lines, line+"  "+noteStyle.Render(common.Truncate(note, room)))
		default:
			lines = append(lines, line)
		}
	}
	lines = append(lines, "")
	if f.general != "" {
		for _, l := range strings.Split(f.general, "\n") {
			lines = append(lines, st.Form.Error.Render(common.Truncate("✗ "+l, f.width-3)))
		}
	}
	if f.pending != 0 {
		lines = append(lines, st.Text.Muted.Render("Saving…"))
	} else if f.editing == "" {
		hint := fmt.Sprintf("The fields follow the kind. %s saves once every value is valid.", km.Submit.Help().Key)
		lines = append(lines, st.Form.Hint.Render(common.Truncate(hint, f.width-3)))
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
	if max := len(lines) - f.height; f.offset > max {
		f.offset = max
	}
	if f.offset < 0 {
		f.offset = 0
	}
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

// padANSI pads a styled string to w cells.
func padANSI(s string, w int) string {
	if n := w - common.Width(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}
