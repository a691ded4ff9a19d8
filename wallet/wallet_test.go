package wallet

import (
	"errors"
	"sync"
	"testing"

	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

// splitWallet is the multipath wallet of the type written as two
// descriptors, receive and change.
func splitWallet(t *testing.T, typ descriptor.ScriptType) *Wallet {
	t.Helper()
	w := testWallet(t, typ)
	o, _ := w.Descriptor.Origin()
	mk := func(chain string) *descriptor.Descriptor {
		d, err := descriptor.Parse("wpkh(["+o.String()+"]"+w.Descriptor.ExtendedKey()+"/"+chain+"/*)", descriptor.Regtest)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	return &Wallet{ID: "split", Descriptor: mk("0"), ChangeDescriptor: mk("1")}
}

func TestSeparateChangeDescriptor(t *testing.T) {
	multi := testWallet(t, descriptor.WPKH)
	split := splitWallet(t, descriptor.WPKH)
	if err := split.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, change := range []bool{false, true} {
		a, b := derive(t, multi, change, 7), derive(t, split, change, 7)
		if a.Address != b.Address {
			t.Errorf("change=%v: %s != %s", change, a.Address, b.Address)
		}
	}
	c := newMemChain(10)
	c.add(fund("a", [][]byte{derive(t, multi, true, 3).Script}, []int64{5_000}), 5)
	st := syncOK(t, split, c, nil)
	if st.Balance().Confirmed != 5_000 || !st.UTXOs()[0].Change {
		t.Errorf("split wallet: %+v %+v", st.Balance(), st.UTXOs())
	}
}

func TestSingleAddressWallet(t *testing.T) {
	multi := testWallet(t, descriptor.WPKH)
	o, _ := multi.Descriptor.Origin()
	d, err := descriptor.Parse("wpkh(["+o.String()+"]"+multi.Descriptor.ExtendedKey()+"/0/4)", descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	w := &Wallet{ID: "single", Descriptor: d}
	c := newMemChain(10)
	c.add(fund("a", [][]byte{derive(t, multi, false, 4).Script}, []int64{5_000}), 5)
	st := syncOK(t, w, c, nil)
	if len(st.chains[0]) != 1 || len(st.chains[1]) != 0 || st.Balance().Confirmed != 5_000 {
		t.Errorf("single address wallet: %d scripts, %+v", len(st.chains[0]), st.Balance())
	}
	// Change goes back to the one address.
	next, err := st.NextChange()
	if err != nil || next.Address != derive(t, multi, false, 4).Address {
		t.Errorf("NextChange %+v, %v", next, err)
	}
}

func TestValidate(t *testing.T) {
	w := testWallet(t, descriptor.WPKH)
	bad := []func(w *Wallet){
		func(w *Wallet) { w.ID = "" },
		func(w *Wallet) { w.ID = "a/b" },
		func(w *Wallet) { w.ID = ".hidden" },
		func(w *Wallet) { w.Descriptor = nil },
		func(w *Wallet) { w.Network = descriptor.Mainnet },
		func(w *Wallet) { w.ChangeDescriptor = w.Descriptor },
		func(w *Wallet) { w.GapLimit = -1 },
	}
	for i, f := range bad {
		c := *w
		f(&c)
		if c.Validate() == nil {
			t.Errorf("case %d accepted", i)
		}
	}
	if err := w.Validate(); err != nil {
		t.Error(err)
	}
	var nodesc = Wallet{ID: "x"}
	if err := nodesc.Validate(); !errors.Is(err, ErrNoDescriptor) {
		t.Errorf("no descriptor: %v", err)
	}
}

// TestConcurrentReads queries one State from many goroutines (run with
// -race).
func TestConcurrentReads(t *testing.T) {
	_, _, st := fundedWallet(t, descriptor.TR)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = st.Balance()
			_ = st.UTXOs()
			_ = st.History()
			_, _ = st.Addresses(false, 0, 25)
			_, _ = st.NextReceive()
		}()
	}
	wg.Wait()
}
