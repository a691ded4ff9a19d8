package wallets

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/tui/common"
)

// View returns the frame the last Update drew.
func (m *Model) View() string { return m.frame }

// Layout: the wallet list (a column header on tall screens), the sub-view
// bar, then the detail pane of the selected wallet.

func (m *Model) listRows() int { return min(len(m.cfgs), max(1, m.height/6)) }

func (m *Model) listHeader() bool { return m.height >= 30 }

// detailTop is the first row of the detail pane.
func (m *Model) detailTop() int {
	n := m.listRows() + 1
	if m.listHeader() {
		n++
	}
	return n
}

func (m *Model) detailHeight() int { return max(0, m.height-m.detailTop()) }

// tableRows is the number of table rows a sub-view shows: the detail pane
// less its summary line and column header.
func (m *Model) tableRows() int { return max(1, m.detailHeight()-2) }

func (m *Model) render() {
	if m.width <= 0 || m.height <= 0 {
		m.frame = ""
		return
	}
	var lines []string
	switch {
	case m.send != nil:
		lines = m.send.render()
	case len(m.cfgs) == 0:
		lines = m.emptyState()
	case !m.loaded:
		lines = []string{"", " " + m.Styles.Text.Muted.Render("Reading the wallet caches…")}
	default:
		lines = m.listLines()
		lines = append(lines, m.barLine())
		switch m.view {
		case Receive:
			lines = append(lines, m.receiveLines()...)
		default:
			lines = append(lines, m.tableLines()...)
		}
	}
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

// emptyState says how to add a wallet.
func (m *Model) emptyState() []string {
	st := m.Styles
	w := min(76, max(20, m.width-2))
	wrap := func(s string) []string { return strings.Split(ansi.Wordwrap(s, w, ""), "\n") }
	var out []string
	add := func(style func(...string) string, ls ...string) {
		for _, l := range ls {
			out = append(out, " "+style(l))
		}
	}
	out = append(out, "")
	add(st.Text.Title.Render, "No wallets yet")
	out = append(out, "")
	add(st.Text.Normal.Render, wrap("A watch-only wallet follows the coins of a hardware wallet from its extended public key (xpub) or output descriptor: hardfolio never sees a private key.")...)
	out = append(out, "")
	add(st.Text.Normal.Render, "Add one from the command line:")
	out = append(out, "")
	add(st.Text.Key.Render, "  hardfolio wallet add ...")
	out = append(out, "")
	add(st.Text.Muted.Render, wrap("giving its descriptor (or xpub), its network and the Electrum server, Esplora instance or bitcoin node it syncs from. The options are listed by:")...)
	add(st.Text.Key.Render, "  hardfolio wallet add --help")
	add(st.Text.Muted.Render, wrap("A [[wallet]] entry written in the portfolio file works too.")...)
	out = append(out, "")
	add(st.Text.Muted.Render, wrap("Then sync it with `hardfolio wallet sync ID`; its balance, addresses, coins and history appear here.")...)
	return out
}

// ---- the wallet list --------------------------------------------------------

// listCol is a column of the wallet list, dropped on narrow screens in
// the order of drop (0: always shown).
type listCol struct {
	title string
	right bool
	drop  int
	cell  func(i int) string
	w     int
}

func (m *Model) listCols() []listCol {
	cols := []listCol{
		{title: "Wallet", cell: func(i int) string { return m.cfgs[i].Name }},
		{title: "Network", drop: 3, cell: func(i int) string {
			if e := m.entryAt(i); e != nil && e.policy != "" {
				return m.cfgs[i].Network + " · " + strings.SplitN(e.policy, " ", 2)[0]
			}
			return m.cfgs[i].Network
		}},
		{title: "Backend", drop: 1, cell: func(i int) string { return m.backendText(m.cfgs[i].Backend) }},
		{title: "Balance (BTC)", right: true, cell: func(i int) string {
			if e := m.entryAt(i); e != nil && e.err == nil {
				return formatSats(e.bal.Total(), false)
			}
			return "—"
		}},
		{title: "Value", right: true, drop: 2, cell: func(i int) string {
			if e := m.entryAt(i); e != nil && e.err == nil {
				return m.value(e.bal.Total())
			}
			return ""
		}},
		{title: "Status", cell: func(i int) string { return m.statusText(i) }},
	}
	if m.conv == nil {
		cols = append(cols[:4], cols[5:]...)
	}
	for c := range cols {
		cols[c].w = common.Width(cols[c].title)
		for i := range m.cfgs {
			cols[c].w = max(cols[c].w, common.Width(cols[c].cell(i)))
		}
	}
	cols[0].w = min(cols[0].w, 24)
	// Drop columns until the list fits, status last and truncated.
	for level := 1; level <= 3; level++ {
		if total(cols) <= m.width {
			break
		}
		for c := range cols {
			if cols[c].drop == level {
				cols = append(cols[:c], cols[c+1:]...)
				break
			}
		}
	}
	return cols
}

func total(cols []listCol) int {
	n := 2
	for _, c := range cols {
		n += c.w + 2
	}
	return n
}

func (m *Model) entryAt(i int) *entry {
	if i < len(m.entries) {
		return &m.entries[i]
	}
	return nil
}

func (m *Model) listLines() []string {
	st := m.Styles
	cols := m.listCols()
	// The status column takes what is left.
	last := &cols[len(cols)-1]
	last.w = max(6, m.width-(total(cols)-last.w))
	row := func(cell func(c int) string) string {
		var b strings.Builder
		for c, col := range cols {
			if c > 0 {
				b.WriteString("  ")
			}
			if col.right {
				b.WriteString(common.PadLeft(cell(c), col.w))
			} else {
				b.WriteString(common.PadRight(cell(c), col.w))
			}
		}
		return b.String()
	}
	var out []string
	if m.listHeader() {
		out = append(out, st.Table.Header.Render("  "+row(func(c int) string { return cols[c].title })))
	}
	n := m.listRows()
	top := min(max(0, m.selected-n+1), len(m.cfgs)-n)
	for i := top; i < top+n; i++ {
		line := row(func(c int) string { return cols[c].cell(i) })
		if i == m.selected {
			out = append(out, st.Table.Selected.Render(common.PadRight("› "+line, m.width)))
		} else {
			out = append(out, st.Table.Row.Render("  "+line))
		}
	}
	return out
}

// statusText is the list's last column: sync age and height, or what is
// wrong.
func (m *Model) statusText(i int) string {
	e := m.entryAt(i)
	switch {
	case e == nil:
		return "reading…"
	case e.err != nil:
		return "cannot open: " + firstLine(e.err.Error())
	case e.cache == cacheDiscarded:
		return "cache discarded: sync again"
	case e.cache == cacheNone:
		return "not synced yet"
	}
	s := "block " + groupInt(int64(e.tip))
	if !e.synced.IsZero() {
		s = "synced " + common.Age(m.Now().Sub(e.synced)) + " ago · " + s
	}
	return s
}

// backendText names the backend the screen syncs a wallet from: the
// service's own (the demo's chain), or the wallet's.
func (m *Model) backendText(b portfolio.Backend) string {
	if m.svc.Backend != "" {
		return m.svc.Backend
	}
	return backendText(b)
}

// backendText names a backend and its server's host, never the path,
// user or password of its URL.
func backendText(b portfolio.Backend) string {
	if b.Kind == "" {
		return "no backend"
	}
	host := b.Server
	if u, err := url.Parse(b.Server); err == nil && u.Host != "" {
		host = u.Hostname()
	} else if h, _, ok := strings.Cut(b.Server, "/"); ok {
		host = h
	}
	s := b.Kind + " · " + host
	if b.Proxy != "" {
		s += " (proxy)"
	}
	return s
}

// ---- the sub-view bar -------------------------------------------------------

func (m *Model) barLine() string {
	st := m.Styles
	km := m.Keys
	keys := [...]string{km.ViewReceive.Help().Key, km.ViewAddresses.Help().Key, km.ViewUTXOs.Help().Key, km.ViewHistory.Help().Key}
	bar := func(withKeys bool) string {
		var b strings.Builder
		b.WriteString(" ")
		for v := View(0); v < numViews; v++ {
			if v > 0 {
				b.WriteString(st.Text.Muted.Render(" │ "))
			}
			label := v.String()
			if withKeys {
				label += " (" + keys[v] + ")"
			}
			if v == m.view {
				b.WriteString(st.TabActive.Render(label))
			} else {
				b.WriteString(st.TabInactive.Render(label))
			}
		}
		return b.String()
	}
	left := bar(true)
	if m.job == nil {
		return left
	}
	right := st.Text.Warn.Render("Syncing "+m.job.id+": "+describeProgress(m.job.last)) +
		st.Text.Muted.Render(" · "+m.Keys.Cancel.Help().Key+" cancels")
	if common.Width(left)+common.Width(right)+3 > m.width {
		// Narrow: the keys are in the help line anyway.
		left = bar(false)
	}
	gap := m.width - common.Width(left) - common.Width(right) - 1
	if gap < 2 {
		return common.Truncate(left+"  "+right, m.width)
	}
	return left + strings.Repeat(" ", gap) + right
}

// ---- Receive ------------------------------------------------------------------

// minTextWidth is the narrowest the text beside the QR code may be.
const minTextWidth = 44

func (m *Model) receiveLines() []string {
	st := m.Styles
	e := m.current()
	h := m.detailHeight()
	if e == nil {
		return nil
	}
	cfg := e.cfg

	// The QR code, when it fits beside the text.
	var qr []string
	textW := m.width - 2
	if e.err == nil && e.nextErr == nil && e.next.address != "" {
		mods := m.qrFor_(e.next.address)
		if mods != nil {
			for _, quiet := range []int{4, 2} {
				qw, qh := qrSize(len(mods), quiet)
				if qh <= h && qw+minTextWidth+3 <= m.width {
					qr = m.drawQRCached(mods, quiet)
					textW = m.width - qw - 4
					break
				}
			}
		}
	}
	textW = min(textW, 72)

	var text []string
	add := func(s string) { text = append(text, " "+s) }
	field := func(label, value string) {
		add(st.Text.Muted.Render(common.PadRight(label, 13)) + st.Text.Normal.Render(value))
	}
	wrap := func(style func(...string) string, s string) {
		for _, l := range strings.Split(ansi.Wordwrap(s, textW-1, ""), "\n") {
			add(style(l))
		}
	}
	add(st.Text.Title.Render(cfg.Name) + st.Text.Muted.Render("  "+cfg.ID+" · "+cfg.Network))
	if e.err != nil {
		add("")
		wrap(st.Text.Error.Render, "Cannot open this wallet: "+e.err.Error())
		return pad(text, h)
	}
	add("")
	field("Confirmed", formatSats(e.bal.Confirmed, false)+" BTC")
	field("Unconfirmed", formatSats(e.bal.Unconfirmed, false)+" BTC")
	if v := m.value(e.bal.Total()); v != "" {
		field("Value", v)
	}
	switch e.cache {
	case cacheOK:
		s := "block " + groupInt(int64(e.tip))
		if !e.synced.IsZero() {
			s = common.Age(m.Now().Sub(e.synced)) + " ago, " + s
		}
		field("Last sync", s)
	default:
		field("Last sync", "never")
	}
	field("Backend", m.backendText(cfg.Backend))
	field("Cache", e.cache.String())
	if e.policy != "" {
		field("Multisig", e.policy)
		var fprs, reg []string
		for _, fp := range e.cosigners {
			f := fmt.Sprintf("%08x", fp)
			fprs = append(fprs, f)
			if m.Portfolio().Registration(e.desc, f) != nil {
				reg = append(reg, f)
			}
		}
		field("Cosigners", strings.Join(fprs, ", "))
		if len(reg) == 0 {
			field("Registered", "on no device yet: hardfolio hw register")
		} else {
			field("Registered", "on "+strings.Join(reg, ", "))
		}
	}
	add("")
	add(st.Text.Strong.Render("Next receive address"))
	if e.nextErr != nil {
		wrap(st.Text.Error.Render, e.nextErr.Error())
		return pad(text, h)
	}
	for a := e.next.address; a != ""; {
		n := min(len(a), textW-1)
		add(st.Text.Key.Render(a[:n]))
		a = a[n:]
	}
	field("Path", e.next.path)
	if e.next.label != "" {
		field("Label", e.next.label)
	}
	add("")
	if e.cache != cacheOK {
		wrap(st.Text.Warn.Render, "Not synced: this address may have been used already. Sync before you share it.")
	} else {
		wrap(st.Text.Muted.Render, "Check it on your hardware wallet's screen before you share it.")
	}
	if qr == nil {
		wrap(st.Text.Muted.Render, "Enlarge the terminal to show the QR code.")
	}

	text = pad(text, h)
	if qr == nil {
		return text
	}
	out := make([]string, max(len(text), len(qr)))
	for i := range out {
		var t string
		if i < len(text) {
			t = text[i]
		}
		line := common.PadRight(t, textW+1) + "  "
		if i < len(qr) {
			line += st.QR.Render(qr[i])
		}
		out[i] = line
	}
	return out
}

// qrFor_ returns the modules of the QR code of addr's URI, computed once
// per address.
func (m *Model) qrFor_(addr string) [][]bool {
	if m.qrFor != addr {
		m.qrFor = addr
		m.qrMods, m.qrErr = qrModules(bitcoinURI(addr))
		m.qrDraw.lines = nil
	}
	if m.qrErr != nil {
		return nil
	}
	return m.qrMods
}

func (m *Model) drawQRCached(mods [][]bool, quiet int) []string {
	light := m.Styles.Dark
	if m.qrDraw.lines == nil || m.qrDraw.quiet != quiet || m.qrDraw.light != light {
		m.qrDraw.quiet, m.qrDraw.light = quiet, light
		m.qrDraw.lines = drawQR(mods, quiet, light)
	}
	return m.qrDraw.lines
}

func pad(lines []string, h int) []string {
	if len(lines) > h {
		return lines[:h]
	}
	return lines
}

// ---- tables -----------------------------------------------------------------

// tcol is a table column. flex columns share the width left over; optional
// ones are dropped, last first, when the table does not fit.
type tcol struct {
	title    string
	w        int
	right    bool
	flex     bool
	optional bool
}

func fitCols(cols []tcol, width int) []tcol {
	sum := func() int {
		n := 1
		for _, c := range cols {
			n += c.w + 2
		}
		return n
	}
	for sum() > width {
		dropped := false
		for i := len(cols) - 1; i >= 0; i-- {
			if cols[i].optional {
				cols = append(cols[:i:i], cols[i+1:]...)
				dropped = true
				break
			}
		}
		if !dropped {
			break
		}
	}
	if extra := width - sum(); extra > 0 {
		for i := range cols {
			if cols[i].flex {
				cols[i].w += extra
				break
			}
		}
	} else if extra < 0 {
		for i := range cols {
			if cols[i].flex {
				cols[i].w = max(8, cols[i].w+extra)
				break
			}
		}
	}
	return cols
}

func (m *Model) tableLines() []string {
	st := m.Styles
	e := m.current()
	if e == nil {
		return nil
	}
	if e.err != nil {
		return []string{" " + st.Text.Error.Render("Cannot open this wallet: "+firstLine(e.err.Error()))}
	}
	var (
		summary string
		cols    []tcol
		cells   func(i int) []string
		n       int
		empty   string
	)
	switch m.view {
	case Addresses:
		n = len(e.addrs)
		used := [2]int{}
		count := [2]int{}
		for _, a := range e.addrs {
			c := 0
			if a.change {
				c = 1
			}
			count[c]++
			if a.used {
				used[c]++
			}
		}
		summary = fmt.Sprintf("receive %d (%d used) · change %d (%d used) · gap %d", count[0], used[0], count[1], used[1], e.cfg.Gap())
		cols = []tcol{{title: "Chain", w: 7}, {title: "#", w: 4, right: true}, {title: "Address", w: 20, flex: true},
			{title: "Used", w: 4}, {title: "Txs", w: 3, right: true}, {title: "Balance (BTC)", w: 13, right: true},
			{title: "Path", w: 30, optional: true}, {title: "Label", w: 16, optional: true}}
		cells = func(i int) []string {
			a := e.addrs[i]
			ch, u := "receive", ""
			if a.change {
				ch = "change"
			}
			if a.used {
				u = "used"
			}
			bal := ""
			if a.balance != 0 {
				bal = formatSats(a.balance, false)
			}
			return []string{ch, strconv.FormatUint(uint64(a.index), 10), a.address, u, strconv.Itoa(a.txs), bal, a.path, a.label}
		}
		empty = "No addresses."
	case UTXOs:
		n = len(e.utxos)
		var sum, unconf int64
		nu := 0
		for _, u := range e.utxos {
			sum += u.value
			if u.height <= 0 {
				unconf += u.value
				nu++
			}
		}
		summary = fmt.Sprintf("%d coins · %s BTC", n, formatSats(sum, false))
		if nu > 0 {
			summary += fmt.Sprintf(" · %d unconfirmed", nu)
		}
		cols = []tcol{{title: "Outpoint", w: 20, flex: true}, {title: "Value (BTC)", w: 13, right: true},
			{title: "Conf.", w: 7, right: true}, {title: "Label", w: 16, optional: true}, {title: "Address", w: 42, optional: true}}
		cells = func(i int) []string {
			u := e.utxos[i]
			return []string{u.outpoint, formatSats(u.value, false), m.confirmations(e, u.height), u.label, u.address}
		}
		empty = "No coins."
	case History:
		n = len(e.history)
		nu := 0
		for _, t := range e.history {
			if t.height <= 0 {
				nu++
			}
		}
		summary = fmt.Sprintf("%d transactions, newest first", n)
		if nu > 0 {
			summary += fmt.Sprintf(" · %d unconfirmed", nu)
		}
		cols = []tcol{{title: "Height", w: 7, right: true}, {title: "Conf.", w: 5, right: true},
			{title: "Amount (BTC)", w: 12, right: true}, {title: "Fee (sat)", w: 9, right: true},
			{title: "Transaction", w: 16, flex: true}, {title: "Label", w: 16, optional: true}}
		cells = func(i int) []string {
			t := e.history[i]
			h := "mempool"
			if t.height > 0 {
				h = groupInt(int64(t.height))
			}
			fee := "?"
			if t.feeKnown {
				fee = groupInt(t.fee)
			}
			return []string{h, m.confirmations(e, t.height), formatSats(t.net, true), fee, t.txid, t.label}
		}
		empty = "No transactions."
	}
	if e.cache != cacheOK {
		summary += " · not synced"
	}
	if rows := m.tableRows(); n > rows {
		off := m.offset[m.view]
		summary += fmt.Sprintf(" · rows %d–%d of %d", off+1, min(n, off+rows), n)
	}
	cols = fitCols(cols, m.width)
	// Which of the full column list each shown column is.
	index := make([]int, len(cols))
	all := columnTitles(m.view)
	for i, c := range cols {
		for j, t := range all {
			if t == c.title {
				index[i] = j
			}
		}
	}
	row := func(vals []string) string {
		var b strings.Builder
		b.WriteString(" ")
		for i, c := range cols {
			if i > 0 {
				b.WriteString("  ")
			}
			v := vals[index[i]]
			if c.flex && common.Width(v) > c.w {
				v = midTruncate(v, c.w)
			}
			if c.right {
				b.WriteString(common.PadLeft(v, c.w))
			} else {
				b.WriteString(common.PadRight(v, c.w))
			}
		}
		return b.String()
	}
	out := []string{" " + st.Text.Muted.Render(summary)}
	titles := make([]string, len(all))
	copy(titles, all)
	out = append(out, st.Table.Header.Render(row(titles)))
	if n == 0 {
		return append(out, " "+st.Text.Muted.Render(empty))
	}
	rows := m.tableRows()
	off := m.offset[m.view]
	for i := off; i < n && i < off+rows; i++ {
		out = append(out, st.Table.Row.Render(row(cells(i))))
	}
	return out
}

func columnTitles(v View) []string {
	switch v {
	case Addresses:
		return []string{"Chain", "#", "Address", "Used", "Txs", "Balance (BTC)", "Path", "Label"}
	case UTXOs:
		return []string{"Outpoint", "Value (BTC)", "Conf.", "Label", "Address"}
	case History:
		return []string{"Height", "Conf.", "Amount (BTC)", "Fee (sat)", "Transaction", "Label"}
	}
	return nil
}

// confirmations counts the blocks since height, up to the synced tip.
func (m *Model) confirmations(e *entry, height int32) string {
	if height <= 0 {
		return "0"
	}
	return groupInt(int64(e.tip - height + 1))
}

// ---- formatting ---------------------------------------------------------------

// formatSats writes sats as BTC with eight decimals; signed adds "+" to
// amounts above zero.
func formatSats(sats int64, signed bool) string {
	s := portfolio.FormatDecimal(decimal.New(sats, -8), 8)
	if signed && sats > 0 {
		s = "+" + s
	}
	return s
}

func formatBTC(sats int64) string { return formatSats(sats, false) + " BTC" }

// groupInt writes n with thousands separators.
func groupInt(n int64) string {
	return portfolio.FormatDecimal(decimal.NewFromInt(n), 0)
}

// midTruncate shortens s to w cells by cutting its middle: the two ends
// of an address or transaction id are what people compare.
func midTruncate(s string, w int) string {
	if len(s) <= w || w < 3 {
		return common.Truncate(s, w)
	}
	head := (w - 1) / 2
	tail := w - 1 - head
	return s[:head] + "…" + s[len(s)-tail:]
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " (and more)"
	}
	return s
}
