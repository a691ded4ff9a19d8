package common

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Table lays out columns two cells apart, indented by two: numbers
// right-aligned, the first column and those named left-aligned. The
// Analysis and Stress screens draw their figures with it.
type Table struct {
	left map[int]bool
	head []string
	rows [][]string
}

// NewTable starts a table with the heading head; the columns in left (and
// the first) are left-aligned.
func NewTable(left []int, head ...string) *Table {
	t := &Table{left: map[int]bool{0: true}, head: head}
	for _, c := range left {
		t.left[c] = true
	}
	return t
}

// Add appends a row.
func (t *Table) Add(cells ...string) { t.rows = append(t.rows, cells) }

// Lines lays the table out: the heading painted by head, row i by
// body(i, line).
func (t *Table) Lines(head func(string) string, body func(i int, line string) string) []string {
	width := make([]int, len(t.head))
	for _, r := range append([][]string{t.head}, t.rows...) {
		for i, c := range r {
			width[i] = max(width[i], Width(c))
		}
	}
	line := func(r []string) string {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			if t.left[i] {
				b.WriteString(PadRight(c, width[i]))
			} else {
				b.WriteString(PadLeft(c, width[i]))
			}
		}
		return strings.TrimRight(b.String(), " ")
	}
	out := []string{head(line(t.head))}
	for i, r := range t.rows {
		out = append(out, body(i, line(r)))
	}
	return out
}

// Wrap breaks s into lines of at most w cells, the first prefixed by
// first and the rest indented to match.
func Wrap(s string, w int, first string) []string {
	indent := strings.Repeat(" ", Width(first))
	out := strings.Split(ansi.Wordwrap(s, max(10, w-len(indent)), ""), "\n")
	for i := range out {
		if i == 0 {
			out[i] = first + out[i]
		} else {
			out[i] = indent + out[i]
		}
	}
	return out
}

// Every paints every row of a table alike.
func Every(paint func(string) string) func(int, string) string {
	return func(_ int, line string) string { return paint(line) }
}
