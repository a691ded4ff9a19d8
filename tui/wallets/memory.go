package wallets

import (
	"context"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/chain"
	"codeberg.org/hardfolio/hardfolio/wallet/service"
)

// MemoryService is a Service that syncs every wallet from src, whatever
// its configured backend, estimates fees and broadcasts through it, and
// keeps each wallet's state in memory instead of its cache file: nothing
// is read from or written to the user's files. name is how the screen
// calls the source. The demo uses it with its simulated chain.
func MemoryService(name string, src func() chain.Source) Service {
	mem := &memStates{states: map[string]memState{}}
	return Service{
		Backend:    name,
		LabelsPath: func(id string) (string, error) { return "", errNoLabels },
		Load:       mem.load,
		Sync: func(ctx context.Context, cfg portfolio.WalletConfig, progress func(wallet.Progress)) (*wallet.State, error, error) {
			w, err := service.Open(cfg)
			if err != nil {
				return nil, nil, err
			}
			old, _, _ := mem.load(w)
			s := src()
			defer s.Close()
			st, err := w.Sync(ctx, s, old, progress)
			if err != nil {
				return nil, nil, err
			}
			mem.put(w.ID, st)
			return st, nil, nil
		},
		FeeRate: func(ctx context.Context, _ portfolio.WalletConfig, target int) (float64, error) {
			s := src()
			defer s.Close()
			return s.FeeRate(ctx, target)
		},
		Broadcast: func(ctx context.Context, _ portfolio.WalletConfig, tx *wire.MsgTx) (chainhash.Hash, error) {
			s := src()
			defer s.Close()
			return s.Broadcast(ctx, tx)
		},
	}
}

// errNoLabels stands for a label file that does not exist: the memory
// service has none.
var errNoLabels = errorString("no label files in memory")

type errorString string

func (e errorString) Error() string { return string(e) }

type memState struct {
	st     *wallet.State
	synced time.Time
}

// memStates are the states a MemoryService synced, by wallet ID.
type memStates struct {
	mu     sync.Mutex
	states map[string]memState
}

func (m *memStates) load(w *wallet.Wallet) (*wallet.State, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.states[w.ID]; ok && s.st.Wallet().String() == w.String() {
		return s.st, s.synced, nil
	}
	return wallet.NewState(w), time.Time{}, nil
}

func (m *memStates) put(id string, st *wallet.State) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.states[id] = memState{st: st, synced: time.Now()}
}
