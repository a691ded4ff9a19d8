package common

import (
	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textinput"

	"codeberg.org/hardfolio/hardfolio/tui/styles"
)

// Paints are the text styles screens draw most, compiled once (see
// styles.Paint): screens that lay out thousands of lines keep them.
type Paints struct {
	Normal, Muted, Strong, Title, Warn, Good, Error, Header, BarEmpty, BarFill styles.Paint
}

// NewPaints compiles st's text, table-header and bar styles.
func NewPaints(st *styles.Styles) Paints {
	c := styles.Compile
	return Paints{Normal: c(st.Text.Normal), Muted: c(st.Text.Muted), Strong: c(st.Text.Strong), Title: c(st.Text.Title),
		Warn: c(st.Text.Warn), Good: c(st.Text.Good), Error: c(st.Text.Error), Header: c(st.Table.Header),
		BarEmpty: c(st.Bar.Empty), BarFill: c(st.Bar.Fill)}
}

// StyleInput gives a text input the interface's styles and a steady
// cursor, so it never draws with lipgloss's default renderer and never
// asks for blink ticks.
func StyleInput(ti *textinput.Model, st *styles.Styles) {
	ti.PromptStyle = st.Form.Label
	ti.TextStyle = st.Form.Input
	ti.PlaceholderStyle = st.Form.Placeholder
	ti.CompletionStyle = st.Form.Placeholder
	ti.Cursor.Style = st.Form.Cursor.Reverse(true)
	ti.Cursor.TextStyle = st.Form.Input
	ti.Cursor.SetMode(cursor.CursorStatic)
}
