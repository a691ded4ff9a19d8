package montecarlo

import "math"

// Quantiles are computed by selection, not sorting: the fan needs five
// order statistics of each of dozens of 10,000-value samples, and a
// selection is linear where a sort is n log n. The slices are reordered.

// quantile is the q-quantile of xs (0 ≤ q ≤ 1), interpolated linearly
// between the order statistics around position q·(n−1) (the usual
// definition, R's type 7).
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(xs)-1)
	k := int(pos)
	selectKth(xs, k)
	lo := xs[k]
	if frac := pos - float64(k); frac > 0 && k+1 < len(xs) {
		hi := xs[k+1]
		for _, x := range xs[k+2:] {
			hi = math.Min(hi, x)
		}
		return lo + frac*(hi-lo)
	}
	return lo
}

// percentiles are the quantiles of xs at Percentiles. Each selection
// leaves the values below its position to the left, so the next one
// searches only to the right of it.
func percentiles(xs []float64) [5]float64 {
	var out [5]float64
	base := 0
	for i, p := range Percentiles {
		pos := p / 100 * float64(len(xs)-1)
		k := int(pos)
		selectKth(xs[base:], k-base)
		lo := xs[k]
		if frac := pos - float64(k); frac > 0 && k+1 < len(xs) {
			hi := xs[k+1]
			for _, x := range xs[k+2:] {
				hi = math.Min(hi, x)
			}
			lo += frac * (hi - lo)
		}
		out[i] = lo
		base = k
	}
	return out
}

// tailMean is the mean of the smallest ⌈a·n⌉ values of xs.
func tailMean(xs []float64, a float64) float64 {
	n := int(math.Ceil(a * float64(len(xs))))
	if n < 1 {
		return math.NaN()
	}
	selectKth(xs, n-1)
	sum := 0.0
	for _, x := range xs[:n] {
		sum += x
	}
	return sum / float64(n)
}

// selectKth reorders xs so that xs[k] is its k-th smallest value (from
// 0), with no larger value before it and no smaller one after it:
// Hoare's selection with a median-of-three pivot.
func selectKth(xs []float64, k int) {
	lo, hi := 0, len(xs)-1
	for hi > lo {
		mid := lo + (hi-lo)/2
		if xs[mid] < xs[lo] {
			xs[mid], xs[lo] = xs[lo], xs[mid]
		}
		if xs[hi] < xs[lo] {
			xs[hi], xs[lo] = xs[lo], xs[hi]
		}
		if xs[hi] < xs[mid] {
			xs[hi], xs[mid] = xs[mid], xs[hi]
		}
		pivot := xs[mid]
		i, j := lo, hi
		for i <= j {
			for xs[i] < pivot {
				i++
			}
			for xs[j] > pivot {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return
		}
	}
}
