package book

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestFirstRunCreatesEmptyPortfolio(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	b, err := Open(dir, Options{Unit: "CHF"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !b.Created() {
		t.Error("Created() is false on first run")
	}
	fi, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if u := b.Portfolio().DefaultUnit(); u != "CHF" {
		t.Errorf("unit %s, want CHF", u)
	}
	b.Close()
	b2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if b2.Created() || len(b2.Portfolio().Holdings) != 0 {
		t.Errorf("second open: created=%v holdings=%d", b2.Created(), len(b2.Portfolio().Holdings))
	}
}

func TestSaveAndReopen(t *testing.T) {
	dir := t.TempDir()
	b, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	demo := portfolio.Demo(now)
	if err := b.Save(demo); err != nil {
		t.Fatal(err)
	}
	bad := demo.Clone()
	bad.Holdings[0].Sats = -1
	if err := b.Save(bad); err == nil {
		t.Fatal("saved an invalid portfolio")
	}
	b.Close()
	b, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	want, _ := portfolio.Encode(demo)
	got, _ := portfolio.Encode(b.Portfolio())
	if !bytes.Equal(want, got) {
		t.Error("reopened portfolio differs from the saved one")
	}
}

func TestSaveSourceKeepsLayoutAndRefusesInvalid(t *testing.T) {
	dir := t.TempDir()
	b, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	src := append([]byte("# my notes\n"), portfolio.DemoSource()...)
	if err := b.SaveSource(src); err != nil {
		t.Fatal(err)
	}
	onDisk, _ := os.ReadFile(filepath.Join(dir, FileName))
	if !bytes.Equal(onDisk, src) {
		t.Error("SaveSource did not write the source as given")
	}
	bad := bytes.Replace(src, []byte(`currency = "CHF"`), []byte(`currency = "CHX"`), 1)
	err = b.SaveSource(bad)
	if err == nil || !strings.Contains(err.Error(), FileName+":") || !strings.Contains(err.Error(), "currency") {
		t.Fatalf("error %v: want file:line: ... currency", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, FileName))
	if !bytes.Equal(after, src) {
		t.Error("an invalid source changed the file")
	}
}

func TestOpenBadFileNamesLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	src := bytes.Replace(portfolio.DemoSource(), []byte(`sats = 8_420_000`), []byte(`sats = -5`), 1)
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir, Options{})
	if err == nil {
		t.Fatal("opened a file with negative sats")
	}
	line := 1 + bytes.Count(src[:bytes.Index(src, []byte("sats = -5"))], []byte("\n"))
	want := path + ":" + strconv.Itoa(line) + `: holding "btc-kraken": sats: must not be negative`
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q\nwant %q", err, want)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, src) {
		t.Error("a bad file was changed by opening it")
	}
}

func TestSecondOpenIsReadOnly(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if ro, why := b.ReadOnly(); !ro || why == "" {
		t.Fatalf("second open: read-only %v (%q)", ro, why)
	}
	if err := b.Save(portfolio.Demo(now)); err == nil {
		t.Error("a read-only book saved")
	}
	if err := b.EnsureWritable(); err == nil {
		t.Error("EnsureWritable passed on a read-only book")
	}
}

func TestDemoNeverWrites(t *testing.T) {
	b := OpenDemo(now)
	p := b.Portfolio().Clone()
	p.Holdings = p.Holdings[:1]
	if err := b.Save(p); err != nil {
		t.Fatal(err)
	}
	if len(b.Portfolio().Holdings) != 1 {
		t.Error("demo edit not kept in memory")
	}
	if err := b.EnsureWritable(); err != ErrDemo {
		t.Errorf("EnsureWritable on demo: %v", err)
	}
	if err := b.SaveSource(portfolio.DemoSource()); err != ErrDemo {
		t.Errorf("SaveSource on demo: %v", err)
	}
}
