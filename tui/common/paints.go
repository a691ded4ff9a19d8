package common

import "codeberg.org/hardfolio/hardfolio/tui/styles"

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
