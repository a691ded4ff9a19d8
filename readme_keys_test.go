package main

import (
	"os"
	"strings"
	"testing"

	"codeberg.org/hardfolio/hardfolio/tui/keys"
)

// TestREADMEKeys keeps the README's key cheatsheet equal to the keymap it
// documents. HARDFOLIO_UPDATE_README=1 rewrites the section.
func TestREADMEKeys(t *testing.T) {
	const begin, end = "<!-- keys:begin -->\n", "<!-- keys:end -->"
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatal("README.md lacks the keys:begin/keys:end markers")
	}
	want := keys.DefaultKeyMap().Cheatsheet() + "\n"
	if got := s[i+len(begin) : j]; got != want {
		if os.Getenv("HARDFOLIO_UPDATE_README") == "1" {
			if err := os.WriteFile("README.md", []byte(s[:i+len(begin)]+want+s[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's key cheatsheet is out of date; run HARDFOLIO_UPDATE_README=1 go test -run TestREADMEKeys .\nwant:\n%s", want)
	}
}
