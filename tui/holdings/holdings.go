// Package holdings is the holdings screen: a sortable, filterable table of
// every holding with its value, weight and price age, and the form to add,
// edit and delete holdings.
//
// The table renders only the rows that fit on screen. Everything that
// depends on the whole list (column widths, the filtered and sorted order,
// the filtered total) is worked out in Update when the data, the size, the
// sort or the filter change, so a key press that only moves the cursor
// costs a few rows of formatting.
package holdings

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/tui/common"
	"codeberg.org/hardfolio/hardfolio/tui/styles"
)

// Column names a column of the table.
type Column int

// The table's columns, in display order.
const (
	ColAsset Column = iota
	ColQuantity
	ColCustodian
	ColValue
	ColWeight
	ColAge
	numColumns
)

func (c Column) String() string {
	switch c {
	case ColAsset:
		return "asset"
	case ColQuantity:
		return "quantity"
	case ColCustodian:
		return "custodian"
	case ColValue:
		return "value"
	case ColWeight:
		return "weight"
	case ColAge:
		return "price age"
	}
	return "?"
}

// descFirst reports whether a column sorts largest first when chosen.
func (c Column) descFirst() bool { return c == ColValue || c == ColWeight || c == ColAge }

func (c Column) rightAligned() bool { return c == ColValue || c == ColWeight }

// Model is the holdings screen.
type Model struct {
	*common.Context

	width, height int

	// Sorting and filtering.
	sortCol  Column
	sortDesc bool
	filter   textinput.Model
	filterOn bool   // the filter line has focus
	query    string // the applied filter, lower case

	// The rows on screen, as indices into Snap.Rows, filtered and sorted.
	order      []int
	cursor     int // position in order
	top        int // first visible position
	selectedID string
	shownTotal decimal.Decimal

	// Layout, recomputed on resize and new data.
	natural [numColumns]int // widest cell of each column over all rows
	widths  [numColumns]int
	xs      [numColumns]int // start column of each column, for mouse clicks

	form    *form
	confirm *confirmDelete

	paint    paints
	rowCache map[int]string // drawn rows by index in Snap.Rows, cursor row excluded
	view     string
}

// paints are the table's styles compiled for drawing many cells a frame.
type paints struct {
	header, headerSorted, row, selected, stale, unpriced, muted, footer styles.Paint
}

// confirmDelete is the question asked before a holding is deleted.
type confirmDelete struct {
	id      string
	label   string
	pending int // save request ID, once answered yes
}

// New returns the holdings screen, sorted by value, largest first. It
// lays out on the first SetSize and Refresh.
func New(ctx *common.Context) *Model {
	m := &Model{Context: ctx, sortCol: ColValue, sortDesc: true}
	st := ctx.Styles
	m.paint = paints{
		header:       styles.Compile(st.Table.Header),
		headerSorted: styles.Compile(st.Table.HeaderSorted),
		row:          styles.Compile(st.Table.Row),
		selected:     styles.Compile(st.Table.Selected),
		stale:        styles.Compile(st.Table.Stale),
		unpriced:     styles.Compile(st.Table.Unpriced),
		muted:        styles.Compile(st.Text.Muted),
		footer:       styles.Compile(st.Table.Footer),
	}
	ti := textinput.New()
	ti.Prompt = "/ "
	ti.Placeholder = "type to filter by asset, custodian, kind…"
	common.StyleInput(&ti, ctx.Styles)
	m.filter = ti
	return m
}

// Init does nothing.
func (m *Model) Init() tea.Cmd { return nil }

// Title is the tab label.
func (m *Model) Title() string { return "Holdings" }

// Capturing reports whether a form, the filter line or a question has the
// keyboard.
func (m *Model) Capturing() bool { return m.form != nil || m.filterOn || m.confirm != nil }

// SetSize lays the table out for the new size.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	if m.form != nil {
		m.form.setSize(width, height)
	}
	m.layout()
	m.render()
}

// Refresh takes a new snapshot: column widths, order and totals are
// worked out again, and the selected holding stays selected.
func (m *Model) Refresh() {
	m.measure()
	m.reorder()
	m.layout()
	m.render()
}

// Sort returns the sort column and whether it is descending.
func (m *Model) Sort() (Column, bool) { return m.sortCol, m.sortDesc }

// Query returns the applied filter text.
func (m *Model) Query() string { return m.query }

// Shown returns the IDs of the holdings on screen, in order.
func (m *Model) Shown() []string {
	ids := make([]string, len(m.order))
	for i, ix := range m.order {
		ids[i] = m.Snap.Rows[ix].ID
	}
	return ids
}

// ShownTotal is the value of the holdings that pass the filter.
func (m *Model) ShownTotal() decimal.Decimal { return m.shownTotal }

// Selected returns the ID of the holding under the cursor, or "".
func (m *Model) Selected() string { return m.selectedID }

// FormOpen reports whether the add or edit form is open.
func (m *Model) FormOpen() bool { return m.form != nil }

// FormErrors returns the error shown next to each field of the open form,
// by field name, and the form's general error under the key "".
func (m *Model) FormErrors() map[string]string {
	if m.form == nil {
		return nil
	}
	return m.form.errors()
}

// Update handles keys, the mouse and save replies.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case common.SavedMsg:
		cmd = m.saved(msg)
	case tea.KeyMsg:
		switch {
		case m.form != nil:
			cmd = m.formKey(msg)
		case m.confirm != nil:
			cmd = m.confirmKey(msg)
		case m.filterOn:
			m.filterKey(msg)
		default:
			cmd = m.tableKey(msg)
		}
	case tea.MouseMsg:
		if m.form == nil && m.confirm == nil {
			m.mouse(msg)
		}
	default:
		if m.form != nil {
			cmd = m.form.update(msg)
		}
	}
	m.render()
	return m, cmd
}

// View returns what the last Update rendered.
func (m *Model) View() string { return m.view }

// ShortHelp lists the keys that act now.
func (m *Model) ShortHelp() []key.Binding {
	km := m.Keys
	switch {
	case m.form != nil:
		return []key.Binding{km.NextField, km.NextOption, km.Submit, km.Cancel}
	case m.confirm != nil:
		return []key.Binding{km.Yes, km.No}
	case m.filterOn:
		return []key.Binding{withHelp(km.Accept, "keep filter"), withHelp(km.Cancel, "clear filter")}
	}
	b := []key.Binding{km.Add}
	if len(m.order) > 0 {
		b = append(b, km.Edit, km.Delete)
	}
	b = append(b, km.Filter)
	if m.query != "" {
		b = append(b, km.ClearFilter)
	}
	return append(b, km.Sort, km.Reverse)
}

// FullHelp lists every key of the screen, in groups.
func (m *Model) FullHelp() [][]key.Binding {
	km := m.Keys
	return [][]key.Binding{
		km.Navigation(),
		{km.Sort, km.Reverse, km.Filter, km.ClearFilter, km.Add, km.Edit, km.Delete},
		{km.NextField, km.PrevField, km.NextOption, km.PrevOption, km.Submit, km.Cancel},
	}
}

func withHelp(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

// ---- table keys -----------------------------------------------------------

func (m *Model) tableKey(msg tea.KeyMsg) tea.Cmd {
	km := m.Keys
	switch {
	case key.Matches(msg, km.Up):
		m.move(-1)
	case key.Matches(msg, km.Down):
		m.move(1)
	case key.Matches(msg, km.PageUp):
		m.move(-m.rowsHeight())
	case key.Matches(msg, km.PageDown):
		m.move(m.rowsHeight())
	case key.Matches(msg, km.Top):
		m.move(-len(m.order))
	case key.Matches(msg, km.Bottom):
		m.move(len(m.order))
	case key.Matches(msg, km.Sort):
		m.setSort((m.sortCol+1)%numColumns, false)
	case key.Matches(msg, km.Reverse):
		m.sortDesc = !m.sortDesc
		m.reorder()
	case key.Matches(msg, km.Filter):
		m.filterOn = true
		m.filter.CursorEnd()
		return m.filter.Focus()
	case key.Matches(msg, km.ClearFilter):
		if m.query != "" {
			m.setQuery("")
		}
	case key.Matches(msg, km.Add):
		return m.openForm("")
	case key.Matches(msg, km.Edit):
		if m.selectedID != "" {
			return m.openForm(m.selectedID)
		}
	case key.Matches(msg, km.Delete):
		if m.selectedID == "" {
			return nil
		}
		if why := m.EditBlocked(); why != "" {
			return common.Status(common.Warn, why)
		}
		h := &m.Portfolio().Holdings[m.Portfolio().HoldingIndex(m.selectedID)]
		m.confirm = &confirmDelete{id: h.ID, label: describe(h)}
	}
	return nil
}

func (m *Model) setSort(c Column, keepDir bool) {
	if !keepDir {
		m.sortDesc = c.descFirst()
	}
	m.sortCol = c
	m.reorder()
	m.layout()
}

// HelpGroupTitles names the groups of FullHelp.
func (m *Model) HelpGroupTitles() []string { return []string{"Moving", "Holdings", "Form"} }

func (m *Model) filterKey(msg tea.KeyMsg) {
	km := m.Keys
	switch {
	case key.Matches(msg, km.Accept):
		m.filterOn = false
		m.filter.Blur()
		return
	case key.Matches(msg, km.Cancel):
		m.filterOn = false
		m.filter.Blur()
		m.setQuery("")
		return
	}
	m.filter, _ = m.filter.Update(msg)
	m.setQuery(m.filter.Value())
}

// setQuery filters by q; the filter line keeps q as typed.
func (m *Model) setQuery(q string) {
	m.query = strings.ToLower(strings.TrimSpace(q))
	if m.filter.Value() != q {
		m.filter.SetValue(q)
	}
	m.reorder()
}

func (m *Model) confirmKey(msg tea.KeyMsg) tea.Cmd {
	km := m.Keys
	c := m.confirm
	if c.pending != 0 {
		return nil // waiting for the save
	}
	switch {
	case key.Matches(msg, km.Yes):
		if why := m.EditBlocked(); why != "" {
			m.confirm = nil
			return common.Status(common.Warn, why)
		}
		next, err := m.Portfolio().WithoutHolding(c.id)
		if err != nil {
			m.confirm = nil
			return common.Status(common.Error, err.Error())
		}
		c.pending = m.NextID()
		return common.RequestSave(c.pending, next, "Deleted "+c.label)
	case key.Matches(msg, km.No):
		m.confirm = nil
	}
	return nil
}

func (m *Model) mouse(msg tea.MouseMsg) {
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		m.move(-3)
	case tea.MouseButtonWheelDown:
		m.move(3)
	case tea.MouseButtonLeft:
		if msg.Action != tea.MouseActionPress {
			return
		}
		switch {
		case msg.Y == 0: // the header: sort by the column clicked
			for c := numColumns - 1; c >= 0; c-- {
				if m.widths[c] > 0 && msg.X >= m.xs[c] {
					if c == m.sortCol {
						m.sortDesc = !m.sortDesc
						m.reorder()
					} else {
						m.setSort(c, false)
					}
					return
				}
			}
		case msg.Y >= 1 && msg.Y <= m.rowsHeight():
			if p := m.top + msg.Y - 1; p < len(m.order) {
				m.cursor = p
				m.follow()
			}
		}
	}
}

func (m *Model) saved(msg common.SavedMsg) tea.Cmd {
	if m.confirm != nil && m.confirm.pending == msg.ID {
		m.confirm = nil
		return nil
	}
	if m.form != nil && m.form.pending == msg.ID {
		if msg.Err == nil {
			// Put the cursor on the holding just added or changed.
			m.selectedID = m.form.saving
			m.form = nil
			m.reorder()
			return nil
		}
		m.form.pending = 0
		m.form.showErrors(msg.Err)
	}
	return nil
}

// ---- cursor and order -------------------------------------------------------

func (m *Model) rowsHeight() int { return max(1, m.height-2) } // header and footer

func (m *Model) move(n int) {
	if len(m.order) == 0 {
		return
	}
	m.cursor = max(0, min(len(m.order)-1, m.cursor+n))
	m.follow()
}

// follow keeps the cursor on screen and remembers the selected holding.
func (m *Model) follow() {
	if len(m.order) == 0 {
		m.cursor, m.top, m.selectedID = 0, 0, ""
		return
	}
	m.cursor = max(0, min(len(m.order)-1, m.cursor))
	h := m.rowsHeight()
	if m.cursor < m.top {
		m.top = m.cursor
	}
	if m.cursor >= m.top+h {
		m.top = m.cursor - h + 1
	}
	if max := len(m.order) - h; m.top > max {
		m.top = max
	}
	if m.top < 0 {
		m.top = 0
	}
	m.selectedID = m.Snap.Rows[m.order[m.cursor]].ID
}

// reorder filters and sorts the rows, keeping the selected holding under
// the cursor when it is still shown.
func (m *Model) reorder() {
	rows := m.Snap.Rows
	order := m.order[:0]
	total := decimal.Zero
	for i := range rows {
		if m.query == "" || strings.Contains(rows[i].Search, m.query) {
			order = append(order, i)
			total = total.Add(rows[i].Amount)
		}
	}
	m.shownTotal = total
	less := m.less()
	sort.SliceStable(order, func(a, b int) bool { return less(&rows[order[a]], &rows[order[b]]) })
	m.order = order
	m.cursor = 0
	for p, ix := range order {
		if rows[ix].ID == m.selectedID {
			m.cursor = p
			break
		}
	}
	m.follow()
}

// less orders rows by the sort column, then by asset name and ID so the
// order is stable. Unpriced rows sort last by value and age either way.
func (m *Model) less() func(a, b *common.Row) bool {
	desc := m.sortDesc
	return func(a, b *common.Row) bool {
		var c int
		switch m.sortCol {
		case ColAsset:
			c = strings.Compare(a.AssetKey, b.AssetKey)
		case ColQuantity:
			c = strings.Compare(string(a.Kind), string(b.Kind))
			if c == 0 {
				c = a.Qty.Cmp(b.Qty)
			}
		case ColCustodian:
			c = strings.Compare(a.CustKey, b.CustKey)
		case ColValue, ColWeight:
			if a.Unpriced != b.Unpriced {
				return b.Unpriced
			}
			c = a.Amount.Cmp(b.Amount)
		case ColAge:
			if (a.AgeDur < 0) != (b.AgeDur < 0) {
				return b.AgeDur < 0
			}
			if a.Unpriced != b.Unpriced {
				return b.Unpriced
			}
			c = cmpDur(a.AgeDur, b.AgeDur)
		}
		if desc {
			c = -c
		}
		if c != 0 {
			return c < 0
		}
		if c = strings.Compare(a.AssetKey, b.AssetKey); c != 0 {
			return c < 0
		}
		return a.ID < b.ID
	}
}

func cmpDur(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ---- layout and rendering ---------------------------------------------------

func (m *Model) header(c Column) string {
	h := ""
	switch c {
	case ColAsset:
		h = "Asset"
	case ColQuantity:
		h = "Quantity"
	case ColCustodian:
		h = "Custodian"
	case ColValue:
		h = "Value " + m.Unit().Symbol()
	case ColWeight:
		h = "Weight"
	case ColAge:
		h = "Price age"
	}
	return h
}

func (m *Model) sortMark(c Column) string {
	if c != m.sortCol {
		return ""
	}
	if m.sortDesc {
		return " ▼"
	}
	return " ▲"
}

func cell(r *common.Row, c Column) string {
	switch c {
	case ColAsset:
		return r.Asset
	case ColQuantity:
		return r.Quantity
	case ColCustodian:
		return r.Custody
	case ColValue:
		return r.Value
	case ColWeight:
		return r.Weight
	case ColAge:
		return r.Age
	}
	return ""
}

// measure finds the widest cell of each column over all rows.
func (m *Model) measure() {
	var nat [numColumns]int
	for i := range m.Snap.Rows {
		r := &m.Snap.Rows[i]
		nat[ColAsset] = max(nat[ColAsset], r.AssetW)
		nat[ColQuantity] = max(nat[ColQuantity], r.QuantityW)
		nat[ColCustodian] = max(nat[ColCustodian], r.CustodyW)
		nat[ColValue] = max(nat[ColValue], r.ValueW)
		nat[ColWeight] = max(nat[ColWeight], r.WeightW)
		nat[ColAge] = max(nat[ColAge], r.AgeW)
	}
	m.natural = nat
}

// gap is the space between columns: two cells when there is room.
func (m *Model) gap() int {
	if m.width >= 100 {
		return 2
	}
	return 1
}

// layout fits the columns into the width. Value, weight, price age and
// quantity keep their width (they are the numbers to check); asset and
// custodian names give way first, widest first, then the quantity.
func (m *Model) layout() {
	gap := m.gap()
	avail := m.width - 3 - 1 - gap*int(numColumns-1) // cursor gutter, right margin
	w := m.natural
	for c := Column(0); c < numColumns; c++ {
		hw := common.Width(m.header(c))
		if c == m.sortCol {
			hw += 2
		}
		w[c] = max(w[c], hw)
	}
	w[ColAsset] = min(w[ColAsset], 32)
	w[ColQuantity] = min(w[ColQuantity], 26)
	w[ColCustodian] = min(w[ColCustodian], 24)
	sum := func() int {
		s := 0
		for _, x := range w {
			s += x
		}
		return s
	}
	const minText = 8
	for over := sum() - avail; over > 0; over-- {
		c := ColAsset
		if w[ColCustodian] > w[ColAsset] {
			c = ColCustodian
		}
		if w[c] <= minText {
			c = ColQuantity
			if w[c] <= minText {
				break
			}
		}
		w[c]--
	}
	m.widths = w
	m.rowCache = make(map[int]string, 64)
	x := 3
	for c := Column(0); c < numColumns; c++ {
		m.xs[c] = x
		x += w[c] + gap
	}
	m.follow()
}

func (m *Model) render() {
	if m.width <= 0 || m.height <= 0 {
		m.view = ""
		return
	}
	if m.form != nil {
		m.view = m.form.view()
		return
	}
	st := m.Styles
	lines := make([]string, 0, m.height)

	// Header.
	var hb strings.Builder
	gap := strings.Repeat(" ", m.gap())
	hb.WriteString("   ")
	for c := Column(0); c < numColumns; c++ {
		if c > 0 {
			hb.WriteString(gap)
		}
		t := m.header(c) + m.sortMark(c)
		if c.rightAligned() {
			t = common.PadLeft(t, m.widths[c])
		} else {
			t = common.PadRight(t, m.widths[c])
		}
		if c == m.sortCol {
			hb.WriteString(m.paint.headerSorted.Render(t))
		} else {
			hb.WriteString(m.paint.header.Render(t))
		}
	}
	lines = append(lines, hb.String())

	// Rows.
	rh := m.rowsHeight()
	if len(m.Snap.Rows) == 0 {
		lines = append(lines, "", st.Text.Muted.Render(fmt.Sprintf("   No holdings yet. Press %s to add one.", m.Keys.Add.Help().Key)))
	} else if len(m.order) == 0 {
		lines = append(lines, "", st.Text.Muted.Render(fmt.Sprintf("   Nothing matches %q. Press %s to clear the filter.", m.query, m.Keys.ClearFilter.Help().Key)))
	}
	for p := m.top; p < len(m.order) && p < m.top+rh; p++ {
		lines = append(lines, m.renderRow(p))
	}
	for len(lines) < m.height-1 {
		lines = append(lines, "")
	}
	lines = append(lines, m.footer())
	m.view = strings.Join(lines, "\n")
}

// renderRow draws the row at position p. Rows other than the cursor's are
// drawn once per layout and kept.
func (m *Model) renderRow(p int) string {
	ix := m.order[p]
	selected := p == m.cursor
	if !selected {
		if r, ok := m.rowCache[ix]; ok {
			return r
		}
	}
	r := &m.Snap.Rows[ix]
	gap := strings.Repeat(" ", m.gap())
	var b strings.Builder
	b.Grow(m.width + 64)
	if selected {
		b.WriteString(" › ")
	} else {
		b.WriteString("   ")
	}
	for c := Column(0); c < numColumns; c++ {
		if c > 0 {
			b.WriteString(gap)
		}
		t := cell(r, c)
		if c.rightAligned() {
			t = common.PadLeft(t, m.widths[c])
		} else {
			t = common.PadRight(t, m.widths[c])
		}
		switch {
		case selected:
			b.WriteString(t)
		case c == ColAge && r.Unpriced, c == ColValue && r.Unpriced:
			b.WriteString(m.paint.unpriced.Render(t))
		case c == ColAge && r.Stale:
			b.WriteString(m.paint.stale.Render(t))
		case c == ColAge || c == ColWeight:
			b.WriteString(m.paint.muted.Render(t))
		default:
			b.WriteString(m.paint.row.Render(t))
		}
	}
	if selected {
		return m.paint.selected.Render(common.PadRight(b.String(), m.width))
	}
	line := b.String()
	m.rowCache[ix] = line
	return line
}

func (m *Model) footer() string {
	st := m.Styles
	if m.confirm != nil {
		km := m.Keys
		q := fmt.Sprintf(" Delete %s?  %s delete · %s keep", m.confirm.label, km.Yes.Help().Key, km.No.Help().Key)
		if m.confirm.pending != 0 {
			q = " Deleting " + m.confirm.label + "…"
		}
		return st.StatusWarn.Render(common.Truncate(q, m.width-1))
	}
	if m.filterOn {
		m.filter.Width = max(10, m.width-4)
		return " " + m.filter.View()
	}
	unit := m.Unit()
	total := m.Snap.Valuation.Total
	var s string
	n := len(m.Snap.Rows)
	if m.query != "" {
		s = fmt.Sprintf(" %d of %d match %q · %s of %s", len(m.order), n, m.query,
			unit.Format(m.shownTotal), unit.Format(total))
	} else {
		noun := "holdings"
		if n == 1 {
			noun = "holding"
		}
		s = fmt.Sprintf(" %d %s · total %s", n, noun, unit.Format(total))
	}
	s += " · by " + m.sortCol.String() + m.sortMark(m.sortCol)
	if m.query != "" {
		s += fmt.Sprintf(" · %s clears", m.Keys.ClearFilter.Help().Key)
	}
	return m.paint.footer.Render(common.Truncate(s, m.width-1))
}

// Label of a holding for messages: its label and quantity.
func describe(h *portfolio.Holding) string { return h.Label() + ", " + h.QuantityString() }
