package chain

import "errors"

// ErrNoFeeEstimate marks a server that has no fee estimate to give, as a
// node that has seen too few transactions (a fresh node, regtest) or an
// Electrum server answering -1. The caller should ask the user for a fee
// rate rather than guess one.
var ErrNoFeeEstimate = errors.New("no fee estimate available")
