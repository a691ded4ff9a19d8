package device

import (
	"fmt"
	"sync"
)

// held is what every driver keeps besides its protocol client.
//
// Two locks, as the device and what we know of it are separate: comms is
// held for a whole request, which may wait minutes for the user to confirm
// on the device; state guards the answers already cached, so that Info
// stays readable meanwhile.
type held struct {
	comms sync.Mutex

	state sync.Mutex
	info  Info // URI, Model, Vendor always; the rest once asked
	asked bool // info holds an answer from the device
}

// cached returns what is known, and whether the device answered Info.
func (h *held) cached() (Info, bool) {
	h.state.Lock()
	defer h.state.Unlock()
	return h.info, h.asked
}

// lockForInfo takes comms for Info and returns what is known. While
// another request holds comms, it returns at once what the device told
// before (busy true, comms not taken); if it never told anything, it waits
// for comms.
func (h *held) lockForInfo() (in Info, busy bool) {
	if !h.comms.TryLock() {
		if in, ok := h.cached(); ok {
			return in, true
		}
		h.comms.Lock()
	}
	in, _ = h.cached()
	return in, false
}

// remember keeps the device's answer to Info.
func (h *held) remember(in Info) {
	h.state.Lock()
	h.info, h.asked = in, true
	h.state.Unlock()
}

// rememberFingerprint keeps the fingerprint the device gave.
func (h *held) rememberFingerprint(fpr uint32) {
	h.state.Lock()
	h.info.Fingerprint, h.info.HasFingerprint = fpr, true
	h.state.Unlock()
}

// checkSeed fails with ErrNotOurs when a descriptor's key (of seed
// descFpr) is not from the device's seed devFpr.
func checkSeed(descFpr, devFpr uint32) error {
	if descFpr != devFpr {
		return fmt.Errorf("%w: the descriptor's key is from seed %08x, the device's is %08x", ErrNotOurs, descFpr, devFpr)
	}
	return nil
}
