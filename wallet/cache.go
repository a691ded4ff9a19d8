package wallet

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/adrg/xdg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/portfolio/store/atomicfile"
)

// CacheVersion is the version of the cache file format. A cache of another
// version is discarded and rebuilt.
const CacheVersion = 1

// ErrCacheDiscarded marks a cache file that LoadState could not use.
var ErrCacheDiscarded = errors.New("wallet cache discarded")

// CacheDir returns the directory of wallet caches:
// $XDG_CACHE_HOME/hardfolio/wallets (on Linux, ~/.cache/hardfolio/wallets
// when XDG_CACHE_HOME is not set).
func CacheDir() string {
	return filepath.Join(xdg.CacheHome, "hardfolio", "wallets")
}

// CachePath returns the default cache file of a wallet: <CacheDir>/<id>.json.
func CachePath(id string) (string, error) {
	if err := checkID(id); err != nil {
		return "", err
	}
	return filepath.Join(CacheDir(), id+".json"), nil
}

// The cache file is disposable: it only holds what a sync can learn again
// from the chain. Its JSON form:
type cacheFile struct {
	Version  int           `json:"version"`
	WalletID string        `json:"wallet_id"`
	Identity string        `json:"descriptors"`
	Tip      cacheBlock    `json:"tip"`
	Receive  []cacheScript `json:"receive"`
	Change   []cacheScript `json:"change"`
	Txs      []cacheTx     `json:"txs"`
	Parents  []string      `json:"parents"` // raw transactions, hex
}

type cacheBlock struct {
	Height int32  `json:"height"`
	Hash   string `json:"hash"`
}

type cacheScript struct {
	Index   uint32   `json:"index"`
	Script  string   `json:"script"`
	Address string   `json:"address"`
	Txs     []string `json:"txs,omitempty"`
}

type cacheTx struct {
	Raw    string `json:"raw"`
	Height int32  `json:"height"`
	Block  string `json:"block,omitempty"`
}

// MarshalJSON writes the State in the cache format.
func (s *State) MarshalJSON() ([]byte, error) {
	f := cacheFile{Version: CacheVersion, Identity: s.identity,
		Tip: cacheBlock{Height: s.tip.Height, Hash: hashHex(s.tip.Hash)}}
	if s.w != nil {
		f.WalletID = s.w.ID
	}
	for ch, dst := range []*[]cacheScript{&f.Receive, &f.Change} {
		for _, sc := range s.chains[ch] {
			c := cacheScript{Index: sc.index, Script: hex.EncodeToString(sc.script), Address: sc.address}
			for _, id := range sc.txids {
				c.Txs = append(c.Txs, id.String())
			}
			*dst = append(*dst, c)
		}
	}
	ids := sortedHashes(s.txs)
	for _, id := range ids {
		t := s.txs[id]
		c := cacheTx{Raw: txHex(t.tx), Height: t.height}
		if t.block != (chainhash.Hash{}) {
			c.Block = t.block.String()
		}
		f.Txs = append(f.Txs, c)
	}
	for _, id := range sortedHashes(s.parents) {
		f.Parents = append(f.Parents, txHex(s.parents[id]))
	}
	return json.MarshalIndent(f, "", "\t")
}

func sortedHashes[V any](m map[chainhash.Hash]V) []chainhash.Hash {
	ids := make([]chainhash.Hash, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b chainhash.Hash) int { return bytes.Compare(a[:], b[:]) })
	return ids
}

func txHex(tx *wire.MsgTx) string {
	var b bytes.Buffer
	_ = tx.Serialize(&b)
	return hex.EncodeToString(b.Bytes())
}

func parseTxHex(s string) (*wire.MsgTx, error) {
	raw, err := hex.DecodeString(s)
	if err != nil {
		return nil, err
	}
	tx := new(wire.MsgTx)
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
		return nil, err
	}
	return tx, nil
}

// UnmarshalJSON reads a State in the cache format. It checks the version
// and the consistency of the data (every listed transaction present, hashes
// well formed), not that the data matches a wallet: LoadState does that.
func (s *State) UnmarshalJSON(data []byte) error {
	var f cacheFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return err
	}
	if f.Version != CacheVersion {
		return fmt.Errorf("cache version %d, want %d", f.Version, CacheVersion)
	}
	st := State{identity: f.Identity, txs: map[chainhash.Hash]*txState{}, parents: map[chainhash.Hash]*wire.MsgTx{}}
	st.tip.Height = f.Tip.Height
	var err error
	if st.tip.Hash, err = parseHash(f.Tip.Hash); err != nil {
		return err
	}
	for _, c := range f.Txs {
		tx, err := parseTxHex(c.Raw)
		if err != nil {
			return fmt.Errorf("transaction: %w", err)
		}
		t := &txState{tx: tx, height: c.Height}
		if c.Block != "" {
			if t.block, err = parseHash(c.Block); err != nil {
				return err
			}
		}
		st.txs[tx.TxHash()] = t
	}
	for _, raw := range f.Parents {
		tx, err := parseTxHex(raw)
		if err != nil {
			return fmt.Errorf("parent transaction: %w", err)
		}
		st.parents[tx.TxHash()] = tx
	}
	for ch, src := range [][]cacheScript{f.Receive, f.Change} {
		for _, c := range src {
			script, err := hex.DecodeString(c.Script)
			if err != nil {
				return fmt.Errorf("script: %w", err)
			}
			sc := &scriptState{change: ch == 1, index: c.Index, script: script, address: c.Address}
			for _, h := range c.Txs {
				id, err := parseHash(h)
				if err != nil {
					return err
				}
				if _, ok := st.txs[id]; !ok {
					return fmt.Errorf("script %s lists unknown transaction %s", c.Address, h)
				}
				sc.txids = append(sc.txids, id)
			}
			st.chains[ch] = append(st.chains[ch], sc)
		}
	}
	*s = st
	return nil
}

// LoadState reads the cache file at path for wallet w. The cache is
// disposable, so LoadState never fails: when the file is missing it returns
// an empty State and a nil error; when the file cannot be read, does not
// parse, has another version or was built for other descriptors, it returns
// an empty State and an error wrapping ErrCacheDiscarded, which the caller
// shows as a warning before syncing from scratch. A State that has never
// been synced has a zero Tip.
func LoadState(path string, w *Wallet) (*State, error) {
	st, err := loadState(path, w)
	st.index()
	return st, err
}

func loadState(path string, w *Wallet) (*State, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return newState(w), nil
	}
	if err != nil {
		return newState(w), fmt.Errorf("%w: %v", ErrCacheDiscarded, err)
	}
	st := new(State)
	if err := json.Unmarshal(data, st); err != nil {
		return newState(w), fmt.Errorf("%w: %s: %v", ErrCacheDiscarded, path, err)
	}
	if st.identity != w.identity() {
		return newState(w), fmt.Errorf("%w: %s was built for other descriptors", ErrCacheDiscarded, path)
	}
	if err := st.checkScripts(w); err != nil {
		return newState(w), fmt.Errorf("%w: %s: %v", ErrCacheDiscarded, path, err)
	}
	st.w = w
	return st, nil
}

// checkScripts verifies the first script of each chain against the
// wallet, which catches a cache edited or mixed up by hand cheaply.
func (s *State) checkScripts(w *Wallet) error {
	for ch := range s.chains {
		if len(s.chains[ch]) == 0 {
			continue
		}
		sc := s.chains[ch][0]
		d, err := w.deriveOne(ch == 1, sc.index)
		if err != nil {
			return err
		}
		if !bytes.Equal(d.Script, sc.script) {
			return fmt.Errorf("script at index %d does not match the wallet", sc.index)
		}
	}
	return nil
}

// Save writes the State to the cache file at path atomically: a reader, or
// a crash, sees the old file or the new one, never half of one.
func (s *State) Save(path string) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("save wallet cache: %w", err)
	}
	return nil
}
