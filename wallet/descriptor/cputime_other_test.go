//go:build !unix

package descriptor

// processCPU is unknown here.
func processCPU() float64 { return -1 }
