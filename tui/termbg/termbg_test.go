package termbg

import (
	"reflect"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

func TestDark(t *testing.T) {
	cases := []struct {
		env  map[string]string
		dark bool
	}{
		{map[string]string{}, true},
		{map[string]string{"COLORFGBG": "15;0"}, true},
		{map[string]string{"COLORFGBG": "0;15"}, false},
		{map[string]string{"COLORFGBG": "0;default;7"}, false},
		{map[string]string{"COLORFGBG": "0;15", EnvTheme: "dark"}, true},
		{map[string]string{EnvTheme: "Light"}, false},
		{map[string]string{"COLORFGBG": "garbage"}, true},
	}
	for _, c := range cases {
		if got := Dark(func(k string) string { return c.env[k] }); got != c.dark {
			t.Errorf("%v: dark=%v, want %v", c.env, got, c.dark)
		}
	}
}

// TestPathSortsBeforeBubbletea guards the init-order property the package
// relies on, with the import paths as the compiler sees them: renaming the
// module, or moving this package, must not put it after bubbletea.
func TestPathSortsBeforeBubbletea(t *testing.T) {
	ours := reflect.TypeOf(marker{}).PkgPath()
	theirs := reflect.TypeOf(tea.KeyMsg{}).PkgPath()
	if ours >= theirs {
		t.Fatalf("%s initialises after %s: its import path must sort first", ours, theirs)
	}
}

type marker struct{}
