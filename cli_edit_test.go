package main

import (
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

func TestStripErrorComments(t *testing.T) {
	body := "# My savings.\nschema = 1\n"
	for _, tc := range []struct{ name, in, want string }{
		{"no header", body, body},
		{"header", editHeader + "line 3: x\n" + editHeader + "y\n" + body, body},
		{"header line without its trailing space", "# hardfolio edit:\n" + body, body},
		{"only the header", editHeader + "x\n", ""},
		{"only the header, no newline", editHeader + "x", ""},
		{"header lines after the top are the user's", body + editHeader + "x\n", body + editHeader + "x\n"},
	} {
		if got := string(stripErrorComments([]byte(tc.in))); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// The comments put line numbers as the user sees them, below the comments
// themselves, for field errors and for "file:line: message" errors alike.
func TestErrorCommentsShiftLines(t *testing.T) {
	const path = "/data/portfolio.toml"
	fields := portfolio.Errors{
		{File: path, Line: 14, Section: "holding", Index: 0, Parent: -1, ID: "cash", Key: "currency", Msg: `unknown currency "EUX"`},
		{File: path, Line: 21, Section: "holding", Index: 1, Parent: -1, ID: "btc", Key: "sats", Msg: "must not be negative, got -5"},
	}
	got := strings.Split(strings.TrimSuffix(string(errorComments(fields, []string{path})), "\n"), "\n")
	want := []string{
		editHeader + `line 18: holding "cash": currency: unknown currency "EUX"`,
		editHeader + `line 25: holding "btc": sats: must not be negative, got -5`,
	}
	if len(got) != 4 || !slices.Equal(got[2:], want) {
		t.Errorf("comments:\n%s\nwant two intro lines, then\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	syntax := errors.New("data/portfolio.toml:15: holding.amount: strings cannot contain newlines")
	got = strings.Split(strings.TrimSuffix(string(errorComments(syntax, []string{path, "data/portfolio.toml"})), "\n"), "\n")
	if w := editHeader + "line 18: holding.amount: strings cannot contain newlines"; len(got) != 3 || got[2] != w {
		t.Errorf("comments:\n%s\nwant last line %q", strings.Join(got, "\n"), w)
	}

	other := errors.New("something without a line")
	got = strings.Split(strings.TrimSuffix(string(errorComments(other, []string{path})), "\n"), "\n")
	if w := editHeader + "something without a line"; got[len(got)-1] != w {
		t.Errorf("last comment %q, want %q", got[len(got)-1], w)
	}
}

func TestEditorCommand(t *testing.T) {
	const file = "/tmp/p.toml"
	for _, tc := range []struct {
		editor, visual string
		want           []string
	}{
		{"nano", "emacs", []string{"nano", file}},
		{"", "emacs", []string{"emacs", file}},
		{"", "", []string{"vi", file}},
		{"  ", "", []string{"vi", file}},
	} {
		t.Setenv("EDITOR", tc.editor)
		t.Setenv("VISUAL", tc.visual)
		if _, got := editorCommand(file); !slices.Equal(got, tc.want) {
			t.Errorf("EDITOR=%q VISUAL=%q: %q, want %q", tc.editor, tc.visual, got, tc.want)
		}
	}
	t.Setenv("EDITOR", "code --wait")
	name, got := editorCommand(file)
	want := []string{"/bin/sh", "-c", `code --wait "$@"`, "code --wait", file}
	if runtime.GOOS == "windows" {
		want = []string{"code", "--wait", file}
	}
	if name != "code --wait" || !slices.Equal(got, want) {
		t.Errorf("EDITOR with arguments: %q %q, want %q", name, got, want)
	}
}
