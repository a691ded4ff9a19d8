package labels

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bip329Vector is the test vector of BIP 329 (bip-0329.mediawiki, "Test
// Vectors"), verbatim.
const bip329Vector = `{ "type": "tx", "ref": "f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd", "label": "Transaction", "origin": "wpkh([d34db33f/84'/0'/0'])" }
{ "type": "addr", "ref": "bc1q34aq5drpuwy3wgl9lhup9892qp6svr8ldzyy7c", "label": "Address" }
{ "type": "pubkey", "ref": "0283409659355b6d1cc3c32decd5d561abaac86c37a353b52895a5e6c196d6f448", "label": "Public Key" }
{ "type": "input", "ref": "f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd:0", "label": "Input" }
{ "type": "output", "ref": "f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd:1", "label": "Output", "spendable": false }
{ "type": "xpub", "ref": "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8", "label": "Extended Public Key" }
{ "type": "tx", "ref": "f546156d9044844e02b181026a1a407abfca62e7ea1159f87bbeaa77b4286c74", "label": "Account #1 Transaction", "origin": "wpkh([d34db33f/84'/0'/1'])" }
`

func TestBIP329Vector(t *testing.T) {
	ls, warns, err := Read(strings.NewReader(bip329Vector))
	if err != nil || len(warns) != 0 {
		t.Fatalf("err %v, warnings %v", err, warns)
	}
	if len(ls) != 7 {
		t.Fatalf("%d records", len(ls))
	}
	want := []struct {
		typ   Type
		label string
	}{{Tx, "Transaction"}, {Addr, "Address"}, {PubKey, "Public Key"}, {Input, "Input"}, {Output, "Output"},
		{XPub, "Extended Public Key"}, {Tx, "Account #1 Transaction"}}
	for i, w := range want {
		if ls[i].Type != w.typ || ls[i].Text() != w.label {
			t.Errorf("record %d: %+v", i, ls[i])
		}
	}
	if ls[0].Origin != "wpkh([d34db33f/84'/0'/0'])" {
		t.Errorf("origin %q", ls[0].Origin)
	}
	if ls[4].Spendable == nil || *ls[4].Spendable {
		t.Errorf("output not marked unspendable")
	}
	// Export and read back: the same records.
	var b bytes.Buffer
	if err := Write(&b, ls); err != nil {
		t.Fatal(err)
	}
	again, _, err := Read(&b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ls {
		x, y := ls[i], again[i]
		if x.Type != y.Type || x.Ref != y.Ref || x.Text() != y.Text() || x.Origin != y.Origin ||
			(x.Spendable == nil) != (y.Spendable == nil) {
			t.Errorf("round trip %d: %+v != %+v", i, x, y)
		}
	}
}

func TestReadErrors(t *testing.T) {
	in := strings.Join([]string{
		`{"type": "tx", "ref": "f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd", "label": "ok"}`,
		`not json`,
		`{"type": "tx", "ref": "nothex"}`,
		``,
		`{"ref": "f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd"}`,
		`{"type": "output", "ref": "f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd:x"}`,
		`{"type": "output", "ref": "f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd:1", "spendable": "false"}`,
		`{"type": "xpub", "ref": "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi"}`,
		`{"type": "pubkey", "ref": "02abcd", "label": 5}`,
		`{"type": "future", "ref": "whatever", "label": "ignored"}`,
		`{"type": "addr", "ref": "bc1q34aq5drpuwy3wgl9lhup9892qp6svr8ldzyy7c", "label": "` + strings.Repeat("é", 300) + `"}`,
		`{"type": "tx", "ref": "f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd", "spendable": true}`,
		`{"type": "tx", "ref": "f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd"} {}`,
	}, "\n")
	ls, warns, err := Read(strings.NewReader(in))
	var ie *ImportError
	if !errors.As(err, &ie) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v", err)
	}
	var lines []int
	for _, l := range ie.Lines {
		lines = append(lines, l.Line)
	}
	if want := []int{2, 3, 5, 6, 7, 8, 9, 13}; !equalInts(lines, want) {
		t.Errorf("bad lines %v, want %v (%v)", lines, want, err)
	}
	if !strings.Contains(err.Error(), "line 2:") {
		t.Errorf("message does not name the line: %v", err)
	}
	if len(ls) != 3 {
		t.Errorf("%d valid records, want 3", len(ls))
	}
	if len(warns) != 3 || warns[0].Line != 10 || warns[1].Line != 11 || warns[2].Line != 12 {
		t.Errorf("warnings %v", warns)
	}
	if got := len([]rune(ls[1].Text())); got != MaxLabelLength {
		t.Errorf("label of %d characters kept", got)
	}
	if ls[2].Spendable != nil {
		t.Errorf("spendable kept on a tx record")
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestExtraFieldsKept(t *testing.T) {
	line := `{"type": "tx", "ref": "f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd", "label": "rent", "height": 800000, "rate": {"USD": 105620.00}}`
	ls, _, err := Read(strings.NewReader(line))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	_ = Write(&b, ls)
	want := `{"type": "tx", "ref": "f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd", "label": "rent", "height": 800000, "rate": {"USD":105620.00}}` + "\n"
	if b.String() != want {
		t.Errorf("got  %s\nwant %s", b.String(), want)
	}
}

func TestStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "labels", "w.jsonl")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	n, _, err := s.Import(strings.NewReader(bip329Vector))
	if err != nil || n != 7 {
		t.Fatalf("import %d, %v", n, err)
	}
	// A second import without labels keeps them; with a label replaces it.
	upd := `{"type": "output", "ref": "F91D0A8A78462BC59398F2C5D7A84FCFF491C26BA54C4833478B202796C8AAFD:1", "spendable": true}
{"type": "tx", "ref": "f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd", "label": "Renamed"}`
	if _, _, err := s.Import(strings.NewReader(upd)); err != nil {
		t.Fatal(err)
	}
	out, ok := s.Get(Output, "f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd:1")
	if !ok || out.Text() != "Output" || out.Spendable == nil || !*out.Spendable {
		t.Errorf("merged output %+v", out)
	}
	// A bad import changes nothing.
	if _, _, err := s.Import(strings.NewReader(`{"type": "tx", "ref": "f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd", "label": "x"}` + "\nbroken")); err == nil {
		t.Error("bad import accepted")
	}
	if tx, _ := s.Get(Tx, "f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd"); tx.Text() != "Renamed" {
		t.Errorf("bad import changed the store: %q", tx.Text())
	}
	no := false
	if err := s.Set(Label{Type: Output, Ref: "f546156d9044844e02b181026a1a407abfca62e7ea1159f87bbeaa77b4286c74:3", Spendable: &no}); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(Label{Type: Tx, Ref: "f546156d9044844e02b181026a1a407abfca62e7ea1159f87bbeaa77b4286c74", Spendable: &no}); !errors.Is(err, ErrInvalid) {
		t.Errorf("spendable on tx: %v", err)
	}
	if err := s.Delete(Addr, "bc1q34aq5drpuwy3wgl9lhup9892qp6svr8ldzyy7c"); err != nil {
		t.Fatal(err)
	}

	// Reopen: everything was saved.
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(s2.All()) != 7 {
		t.Errorf("%d records after reopening", len(s2.All()))
	}
	fr := s2.Frozen()
	if len(fr) != 1 || fr[0].Index != 3 {
		t.Errorf("frozen %v", fr)
	}
	var b bytes.Buffer
	if err := s2.Export(&b); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Read(&b); err != nil {
		t.Errorf("export does not read back: %v", err)
	}

	// A damaged file is not opened, and not overwritten.
	_ = os.WriteFile(path, []byte("{\n"), 0o600)
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("damaged file: %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "{\n" {
		t.Errorf("damaged file changed")
	}
}

func TestDefaultPath(t *testing.T) {
	p, err := DefaultPath("main")
	if err != nil || filepath.Base(p) != "main.jsonl" || filepath.Base(filepath.Dir(p)) != "labels" {
		t.Errorf("%q %v", p, err)
	}
	if _, err := DefaultPath("../x"); err == nil {
		t.Error("path escape accepted")
	}
}

func FuzzRead(f *testing.F) {
	for _, l := range strings.Split(bip329Vector, "\n") {
		f.Add([]byte(l))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ls, _, _ := Read(bytes.NewReader(data))
		// What is read writes out and reads back to the same records.
		var b bytes.Buffer
		if err := Write(&b, ls); err != nil {
			t.Fatal(err)
		}
		again, _, err := Read(&b)
		if err != nil {
			t.Fatalf("written labels do not read back: %v\n%s", err, b.String())
		}
		if len(again) != len(ls) {
			t.Fatalf("%d records became %d", len(ls), len(again))
		}
	})
}
