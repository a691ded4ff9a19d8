package keys_test

import (
	"reflect"
	"testing"

	"github.com/charmbracelet/bubbles/key"

	"codeberg.org/hardfolio/hardfolio/tui/internal/tuitest"
	"codeberg.org/hardfolio/hardfolio/tui/keys"
)

var _ = tuitest.Clock // registers -update with the other test packages

// bindings lists every binding of the keymap by field name.
func bindings(km *keys.KeyMap) map[string]key.Binding {
	out := map[string]key.Binding{}
	v := reflect.ValueOf(km).Elem()
	for i := 0; i < v.NumField(); i++ {
		switch f := v.Field(i).Interface().(type) {
		case key.Binding:
			out[v.Type().Field(i).Name] = f
		case [9]key.Binding:
			for j, b := range f {
				out[v.Type().Field(i).Name+string(rune('1'+j))] = b
			}
		}
	}
	return out
}

func TestEveryKeyCanBePressed(t *testing.T) {
	for name, b := range bindings(keys.DefaultKeyMap()) {
		if len(b.Keys()) == 0 {
			t.Errorf("%s has no key", name)
		}
		for _, k := range b.Keys() {
			msg := keys.KeyMsg(k)
			if got := msg.String(); got != k {
				t.Errorf("%s: key %q becomes a message for %q", name, k, got)
			}
			if !key.Matches(msg, b) {
				t.Errorf("%s: pressing %q does not match its binding", name, k)
			}
		}
		if h := b.Help(); h.Key == "" || h.Desc == "" {
			t.Errorf("%s has no help", name)
		}
	}
}

// TestNoKeyDoesTwoThings checks each set of bindings that are live at the
// same moment for keys bound twice.
func TestNoKeyDoesTwoThings(t *testing.T) {
	km := keys.DefaultKeyMap()
	contexts := map[string][]key.Binding{
		"holdings table": append(append(km.Global(), km.Navigation()...),
			km.Add, km.Edit, km.Delete, km.Sort, km.Reverse, km.Filter, km.ClearFilter, km.ForceQuit,
			km.Screen[0], km.Screen[1], km.Screen[2], km.Screen[3], km.Screen[4], km.Screen[5], km.Screen[6]),
		"wallets": append(append(append(km.Global(), km.Navigation()...), km.Wallets()...),
			km.Cancel, km.ForceQuit,
			km.Screen[0], km.Screen[1], km.Screen[2], km.Screen[3], km.Screen[4], km.Screen[5], km.Screen[6]),
		"devices": append(append(append(km.Global(), km.Navigation()...), km.Devices()...),
			km.Cancel, km.Submit, km.ForceQuit,
			km.Screen[0], km.Screen[1], km.Screen[2], km.Screen[3], km.Screen[4], km.Screen[5], km.Screen[6]),
		"form": {km.NextField, km.PrevField, km.NextOption, km.PrevOption, km.Submit, km.Accept, km.Cancel, km.ForceQuit},
		"send form": append([]key.Binding{km.NextField, km.PrevField, km.NextOption, km.PrevOption, km.Submit, km.Accept, km.Cancel, km.ForceQuit},
			km.AddRecipient, km.RemoveRecipient),
		"coin list":    append([]key.Binding{km.NextField, km.PrevField, km.Submit, km.Accept, km.Cancel, km.ForceQuit}, km.SendForm()...),
		"send summary": append(km.Navigation(), km.SignOnDevice, km.Accept, km.Cancel, km.ForceQuit),
		"question":     {km.Yes, km.No, km.ForceQuit},
		"prompt":       {km.Accept, km.Cancel, km.ForceQuit},
	}
	for name, bs := range contexts {
		seen := map[string]string{}
		for _, b := range bs {
			if b.Help().Key == km.Screens.Help().Key {
				continue // the help entry of the number keys
			}
			for _, k := range b.Keys() {
				if other, dup := seen[k]; dup && other != b.Help().Desc {
					t.Errorf("%s: %q is bound to %q and %q", name, k, other, b.Help().Desc)
				}
				seen[k] = b.Help().Desc
			}
		}
	}
}

func TestPressUsesTheFirstKey(t *testing.T) {
	km := keys.DefaultKeyMap()
	if got := keys.Press(km.Submit).String(); got != "ctrl+s" {
		t.Fatalf("Press(Submit) = %q", got)
	}
	if got := keys.Press(km.PrevTab).String(); got != "shift+tab" {
		t.Fatalf("Press(PrevTab) = %q", got)
	}
	if got := keys.KeyMsg("alt+x").String(); got != "alt+x" {
		t.Fatalf("KeyMsg(alt+x) = %q", got)
	}
}
