//go:build !unix

package bitcoind

// processCPU is unknown here.
func processCPU() float64 { return -1 }
