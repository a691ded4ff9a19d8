package labels

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/adrg/xdg"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/portfolio/store/atomicfile"
)

// DefaultPath returns where the labels of a wallet are kept:
// $XDG_DATA_HOME/hardfolio/labels/<walletID>.jsonl, beside the portfolio
// file and not in the cache directory: labels are the user's own words and
// cannot be rebuilt from the chain, unlike the disposable wallet caches.
// The file is a plain BIP 329 document.
func DefaultPath(walletID string) (string, error) {
	if walletID == "" || walletID[0] == '.' || filepath.Base(walletID) != walletID {
		return "", fmt.Errorf("invalid wallet id %q", walletID)
	}
	return filepath.Join(xdg.DataHome, "hardfolio", "labels", walletID+".jsonl"), nil
}

type key struct {
	t   Type
	ref string
}

// Store is the label set of one wallet, kept in a BIP 329 file. Every
// change is written to the file at once, atomically. A Store is safe for
// concurrent use.
type Store struct {
	path   string
	mu     sync.Mutex
	labels map[key]Label
}

// Open reads the store at path; a missing file is an empty store. A file
// with invalid lines is not opened (the error names the lines), so that a
// later save cannot overwrite what the user may want to repair.
func Open(path string) (*Store, error) {
	s := &Store{path: path, labels: map[key]Label{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	ls, _, err := Read(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, l := range ls {
		s.labels[key{l.Type, l.Ref}] = l
	}
	return s, nil
}

// Path returns the file of the store.
func (s *Store) Path() string { return s.path }

// Get returns the record of a type and reference.
func (s *Store) Get(t Type, ref string) (Label, bool) {
	ref, err := CheckRef(t, ref)
	if err != nil {
		return Label{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.labels[key{t, ref}]
	return l, ok
}

// Set stores a record, replacing any of the same type and reference, and
// saves the store.
func (s *Store) Set(l Label) error {
	ref, err := CheckRef(l.Type, l.Ref)
	if err != nil {
		return err
	}
	if l.Spendable != nil && l.Type != Output {
		return fmt.Errorf("%w: spendable applies to outputs only", ErrInvalid)
	}
	l.Ref = ref
	s.mu.Lock()
	defer s.mu.Unlock()
	old, had := s.labels[key{l.Type, ref}]
	s.labels[key{l.Type, ref}] = l
	if err := s.save(); err != nil {
		if had {
			s.labels[key{l.Type, ref}] = old
		} else {
			delete(s.labels, key{l.Type, ref})
		}
		return err
	}
	return nil
}

// Delete removes a record and saves the store.
func (s *Store) Delete(t Type, ref string) error {
	ref, err := CheckRef(t, ref)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, had := s.labels[key{t, ref}]
	if !had {
		return nil
	}
	delete(s.labels, key{t, ref})
	if err := s.save(); err != nil {
		s.labels[key{t, ref}] = old
		return err
	}
	return nil
}

// All returns every record, ordered by type and reference.
func (s *Store) All() []Label {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sorted()
}

func (s *Store) sorted() []Label {
	out := make([]Label, 0, len(s.labels))
	for _, l := range s.labels {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b Label) int {
		if c := cmp.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		return cmp.Compare(a.Ref, b.Ref)
	})
	return out
}

// Frozen returns the outputs labelled not spendable, for coin selection
// to leave alone.
func (s *Store) Frozen() []wire.OutPoint {
	var out []wire.OutPoint
	for _, l := range s.All() {
		if l.Type == Output && l.Spendable != nil && !*l.Spendable {
			if op, err := OutPoint(l.Ref); err == nil {
				out = append(out, op)
			}
		}
	}
	return out
}

// Import merges a BIP 329 document into the store: a record's label and
// spendable flag replace the stored ones only when present, as BIP 329
// asks; origin and extra fields are merged. Nothing is imported when a
// line is invalid: the *ImportError names every bad line. It returns the
// number of records imported and the warnings.
func (s *Store) Import(r io.Reader) (int, []Warning, error) {
	ls, warns, err := Read(r)
	if err != nil {
		return 0, warns, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	saved := make(map[key]Label, len(s.labels))
	for k, v := range s.labels {
		saved[k] = v
	}
	for _, l := range ls {
		k := key{l.Type, l.Ref}
		cur, ok := s.labels[k]
		if !ok {
			s.labels[k] = l
			continue
		}
		if l.Label != nil {
			cur.Label = l.Label
		}
		if l.Spendable != nil {
			cur.Spendable = l.Spendable
		}
		if l.Origin != "" {
			cur.Origin = l.Origin
		}
		if len(l.Extra) > 0 {
			extra := maps.Clone(cur.Extra)
			if extra == nil {
				extra = map[string]json.RawMessage{}
			}
			maps.Copy(extra, l.Extra)
			cur.Extra = extra
		}
		s.labels[k] = cur
	}
	if err := s.save(); err != nil {
		s.labels = saved
		return 0, warns, err
	}
	return len(ls), warns, nil
}

// Export writes the store as a BIP 329 document.
func (s *Store) Export(w io.Writer) error {
	return Write(w, s.All())
}

// save writes the store atomically; s.mu is held.
func (s *Store) save() error {
	var b bytes.Buffer
	if err := Write(&b, s.sorted()); err != nil {
		return err
	}
	if err := atomicfile.Write(s.path, b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("save labels: %w", err)
	}
	return nil
}
