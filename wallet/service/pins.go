package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"codeberg.org/hardfolio/hardfolio/portfolio/store/atomicfile"
	"codeberg.org/hardfolio/hardfolio/wallet"
)

// PinsPath returns the file of Electrum certificate pins:
// $XDG_CACHE_HOME/hardfolio/pins.json, beside the wallet caches.
func PinsPath() string {
	return filepath.Join(filepath.Dir(wallet.CacheDir()), "pins.json")
}

// DefaultPins opens the pin file at PinsPath.
func DefaultPins() (*FilePins, error) { return OpenPins(PinsPath()) }

// FilePins keeps Electrum TLS certificate pins (trust on first use) in a
// JSON file, {"host:port": "sha256 hex", ...}, written atomically on every
// new pin. It implements electrum.PinStore and is safe for concurrent use
// within one process; a pin another process added meanwhile is kept, as
// Put re-reads the file before writing it.
//
// A pin that cannot be saved fails Put, so the connection is refused
// rather than trusted without a record. Deleting an entry (or the file)
// makes the next connection pin afresh: do it only after checking the new
// fingerprint on the server itself.
type FilePins struct {
	path string
	mu   sync.Mutex
	pins map[string]string
}

// OpenPins reads the pin file at path; a missing file holds no pins.
// A file that does not parse is an error naming it: pins are not dropped
// silently.
func OpenPins(path string) (*FilePins, error) {
	p := &FilePins{path: path}
	m, err := readPins(path)
	if err != nil {
		return nil, err
	}
	p.pins = m
	return p, nil
}

func readPins(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("certificate pins: %w", err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("certificate pins %s: %w (fix or remove the file)", path, err)
	}
	return m, nil
}

// Path returns the file's path.
func (p *FilePins) Path() string { return p.path }

// Get returns the pinned fingerprint of server (host:port).
func (p *FilePins) Get(server string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fp, ok := p.pins[server]
	return fp, ok
}

// Put pins fingerprint for server and saves the file.
func (p *FilePins) Put(server, fingerprint string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	m, err := readPins(p.path)
	if err != nil {
		return err
	}
	m[server] = fingerprint
	if err := os.MkdirAll(filepath.Dir(p.path), 0o700); err != nil {
		return fmt.Errorf("certificate pins: %w", err)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(p.path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("certificate pins: %w", err)
	}
	p.pins = m
	return nil
}

// Servers lists the pinned servers, sorted.
func (p *FilePins) Servers() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.pins))
	for s := range p.pins {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
