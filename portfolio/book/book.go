// Package book joins the portfolio codec to its on-disk store: it opens the
// user's portfolio file (or the embedded demo), decodes and validates it,
// and saves edits atomically. The CLI and the TUI both go through it, so
// they load, check and write the file the same way.
package book

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/adrg/xdg"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/store"
)

// FileName is the portfolio file's name inside the data directory.
const FileName = "portfolio.toml"

// PassphraseEnv is the environment variable scripts can set to the
// passphrase of an encrypted portfolio.
const PassphraseEnv = store.PassphraseEnv

// ErrDemo is returned when a command tries to write the demo portfolio.
var ErrDemo = errors.New("the demo portfolio is read-only: it is embedded in the program; run without --demo to use your own portfolio")

// DefaultDir is the XDG data directory for hardfolio
// ($XDG_DATA_HOME/hardfolio, ~/.local/share/hardfolio on Linux).
func DefaultDir() string { return filepath.Join(xdg.DataHome, "hardfolio") }

// Book is an open portfolio: the decoded value and where it lives.
type Book struct {
	p       *portfolio.Portfolio
	st      *store.Store
	demo    bool
	created bool
}

// Options configure Open.
type Options struct {
	// Passphrase is asked when the file is encrypted; nil falls back to
	// the HARDFOLIO_PASSPHRASE environment variable.
	Passphrase func(confirm bool) ([]byte, error)
	// Unit is the valuation unit of a portfolio created on first run.
	Unit portfolio.Unit
	// Backups is how many old versions the store keeps (0: its default).
	Backups int
	// ScryptWorkFactor is the cost of the passphrase key derivation for
	// an encrypted file; 0 means 16 (64 MiB, well under a second here),
	// rather than age's 18, because every encrypted load and save pays it,
	// in the CLI too. Tests lower it.
	ScryptWorkFactor int
}

// Open opens the portfolio in dir (DefaultDir when empty). A missing file
// is created as an empty portfolio, and Created reports it. When another
// process holds the file, the book is read-only and ReadOnly says why. A
// file that fails to decode or validate is an error naming file, line and
// field; nothing is written then.
func Open(dir string, opts Options) (*Book, error) {
	if dir == "" {
		dir = DefaultDir()
	}
	pass := opts.Passphrase
	if pass == nil {
		pass = store.PassphraseFromEnv(PassphraseEnv)
	}
	path := filepath.Join(dir, FileName)
	work := opts.ScryptWorkFactor
	if work == 0 {
		work = 16
	}
	st, err := store.Open(path, store.Options{Passphrase: pass, Backups: opts.Backups, ScryptWorkFactor: work})
	if err != nil {
		return nil, err
	}
	b := &Book{st: st}
	if !st.Exists() {
		unit := opts.Unit
		if unit == "" {
			unit = "USD"
		}
		b.p = portfolio.Empty(unit)
		if st.ReadOnly() {
			return b, nil
		}
		if err := b.write(b.p); err != nil {
			st.Close()
			return nil, err
		}
		b.created = true
		return b, nil
	}
	data, err := st.Load()
	if err != nil {
		st.Close()
		return nil, err
	}
	p, err := portfolio.Decode(st.Path(), data)
	if err != nil {
		st.Close()
		return nil, err
	}
	b.p = p
	return b, nil
}

// OpenDemo returns the embedded demo portfolio with prices dated a few days
// before now. Save keeps changes in memory only: nothing is ever written.
func OpenDemo(now time.Time) *Book {
	return &Book{p: portfolio.Demo(now), demo: true}
}

// Portfolio is the current portfolio value. Treat it as read-only: edits go
// through the portfolio's With... methods and Save.
func (b *Book) Portfolio() *portfolio.Portfolio { return b.p }

// Demo reports whether this is the embedded demo.
func (b *Book) Demo() bool { return b.demo }

// Created reports whether Open created the file (first run).
func (b *Book) Created() bool { return b.created }

// Path is the portfolio file's path, or "demo" for the demo.
func (b *Book) Path() string {
	if b.demo {
		return "demo"
	}
	return b.st.Path()
}

// ReadOnly reports whether Save will refuse, and why.
func (b *Book) ReadOnly() (bool, string) {
	if b.st != nil && b.st.ReadOnly() {
		return true, b.st.ReadOnlyReason()
	}
	return false, ""
}

// Encrypted reports whether the file is encrypted at rest.
func (b *Book) Encrypted() bool { return b.st != nil && b.st.Encrypted() }

// Save validates p and makes it the book's portfolio: written atomically to
// the file, or kept in memory for the demo. An invalid portfolio is
// refused and nothing changes.
func (b *Book) Save(p *portfolio.Portfolio) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if b.demo {
		b.p = p
		return nil
	}
	if err := b.write(p); err != nil {
		return err
	}
	b.p = p
	return nil
}

func (b *Book) write(p *portfolio.Portfolio) error {
	data, err := portfolio.Encode(p)
	if err != nil {
		return err
	}
	return b.st.Save(data)
}

// SaveSource checks raw file content (as edited by hand) and, when it
// decodes and validates, writes it as it is, keeping the user's layout and
// comments. A bad file is refused with an error naming line and field.
func (b *Book) SaveSource(data []byte) error {
	if b.demo {
		return ErrDemo
	}
	p, err := portfolio.Decode(b.st.Path(), data)
	if err != nil {
		return err
	}
	if err := b.st.Save(data); err != nil {
		return err
	}
	b.p = p
	return nil
}

// Source is the file's current content (decrypted), for editing.
func (b *Book) Source() ([]byte, error) {
	if b.demo {
		return portfolio.DemoSource(), nil
	}
	return b.st.Load()
}

// Store is the underlying file store (nil for the demo), for encryption and
// backups.
func (b *Book) Store() *store.Store { return b.st }

// Close releases the file lock.
func (b *Book) Close() error {
	if b.st == nil {
		return nil
	}
	return b.st.Close()
}

// EnsureWritable fails when the book cannot be written: the demo, or a file
// another process holds.
func (b *Book) EnsureWritable() error {
	if b.demo {
		return ErrDemo
	}
	if ro, why := b.ReadOnly(); ro {
		return fmt.Errorf("%s", why)
	}
	return nil
}
