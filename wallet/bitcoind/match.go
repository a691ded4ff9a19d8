package bitcoind

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// BIP 158 basic filter parameters.
const (
	filterP = 19
	filterM = 784931
)

// errFilter marks a filter whose Golomb-Rice stream ends before its N
// values, or whose N does not parse.
var errFilter = errors.New("filter data truncated")

// blockFilter is one block's basic filter as nodes send it: the varint N
// followed by the Golomb-Rice coded set, keyed by the block hash.
type blockFilter struct {
	block chainhash.Hash
	data  []byte
}

// matcher finds which of a wallet's scripts a block filter matches.
//
// For each filter it decodes the Golomb-Rice stream once into a sorted
// slice of values, indexing the slice by value >> P (about 1.5 values per
// bucket, since values are uniform below N*M and M is about 1.5 * 2^P);
// then it hashes each script with the filter's key and looks it up in
// its bucket. That is the exact set-membership test of BIP 158, as
// gcs.Filter.Match applies it one script at a time, at a cost per filter
// of one pass over the stream and one SipHash per script, with no
// sorting and no allocation after the first filters.
type matcher struct {
	scripts [][]byte
}

// scratch is one worker's reusable memory.
type scratch struct {
	vals  []uint64
	start []uint32
}

// match appends to out the indexes of the scripts that f matches.
func (m *matcher) match(f *blockFilter, s *scratch, out []int32) ([]int32, error) {
	n, data, err := readN(f.data)
	if err != nil {
		return out, err
	}
	if n == 0 || len(m.scripts) == 0 {
		return out, nil
	}
	nm := n * filterM
	buckets := int((nm-1)>>filterP) + 1
	if cap(s.vals) < int(n) {
		s.vals = make([]uint64, 0, n+n/4)
	}
	if cap(s.start) < buckets+1 {
		s.start = make([]uint32, 0, buckets+buckets/4+1)
	}
	vals := s.vals[:0]
	start := s.start[:buckets+1]

	// Decode the stream: each value is the previous one plus a delta
	// coded as a unary quotient (ones ended by a zero) and P bits of
	// remainder, most significant bit first. buf holds avail unread
	// bits at its top.
	var (
		buf   uint64
		avail uint
		pos   int
		value uint64
		next  int // next bucket whose start is unknown
	)
	for i := uint64(0); i < n; i++ {
		var q uint64
		for {
			if avail < 64 && pos < len(data) {
				buf, avail, pos = refill(buf, avail, pos, data)
			}
			ones := uint(bits.LeadingZeros64(^buf))
			if ones < avail {
				q += uint64(ones)
				buf <<= ones + 1
				avail -= ones + 1
				break
			}
			if pos >= len(data) {
				return out, errFilter
			}
			q += uint64(avail)
			buf, avail = 0, 0
		}
		if avail < filterP {
			buf, avail, pos = refill(buf, avail, pos, data)
			if avail < filterP {
				return out, errFilter
			}
		}
		value += q<<filterP | buf>>(64-filterP)
		buf <<= filterP
		avail -= filterP
		if value >= nm {
			// Out of range: no script can hash there. (Only a corrupt
			// filter has such values.)
			break
		}
		for b := int(value >> filterP); next <= b; next++ {
			start[next] = uint32(len(vals))
		}
		vals = append(vals, value)
	}
	for ; next <= buckets; next++ {
		start[next] = uint32(len(vals))
	}
	s.vals = vals

	// Look each script up.
	k0 := binary.LittleEndian.Uint64(f.block[0:8])
	k1 := binary.LittleEndian.Uint64(f.block[8:16])
	for i, script := range m.scripts {
		hi, _ := bits.Mul64(sipHash24(k0, k1, script), nm)
		b := hi >> filterP
		for j := start[b]; j < start[b+1]; j++ {
			if v := vals[j]; v >= hi {
				if v == hi {
					out = append(out, int32(i))
				}
				break
			}
		}
	}
	return out, nil
}

// refill tops buf up with whole bytes from data.
func refill(buf uint64, avail uint, pos int, data []byte) (uint64, uint, int) {
	if pos+8 <= len(data) {
		buf |= binary.BigEndian.Uint64(data[pos:]) >> avail
		n := (63 - avail) >> 3
		return buf, avail + n*8, pos + int(n)
	}
	for avail <= 56 && pos < len(data) {
		buf |= uint64(data[pos]) << (56 - avail)
		avail += 8
		pos++
	}
	return buf, avail, pos
}

// readN splits a filter into its element count and coded set.
func readN(d []byte) (uint64, []byte, error) {
	if len(d) == 0 {
		return 0, nil, fmt.Errorf("%w: empty filter", errFilter)
	}
	switch d[0] {
	case 0xfd:
		if len(d) < 3 {
			return 0, nil, errFilter
		}
		return uint64(d[1]) | uint64(d[2])<<8, d[3:], nil
	case 0xfe:
		if len(d) < 5 {
			return 0, nil, errFilter
		}
		return uint64(d[1]) | uint64(d[2])<<8 | uint64(d[3])<<16 | uint64(d[4])<<24, d[5:], nil
	case 0xff:
		return 0, nil, fmt.Errorf("%w: element count too large", errFilter)
	}
	return uint64(d[0]), d[1:], nil
}

// matchAll matches every filter against the scripts on workers
// goroutines (runtime.NumCPU() when workers <= 0). Result i lists the
// scripts filter i matches, nil for none; err is the first bad filter.
func (m *matcher) matchAll(filters []blockFilter, workers int) ([][]int32, error) {
	res := make([][]int32, len(filters))
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	workers = min(workers, (len(filters)+63)/64)
	if workers <= 1 {
		var s scratch
		for i := range filters {
			r, err := m.match(&filters[i], &s, nil)
			if err != nil {
				return nil, filterErr(&filters[i], err)
			}
			res[i] = r
		}
		return res, nil
	}
	const grab = 32 // filters a worker takes at a time
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
		failed  atomic.Bool
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s scratch
			for !failed.Load() {
				lo := int(next.Add(grab)) - grab
				if lo >= len(filters) {
					return
				}
				for i := lo; i < min(lo+grab, len(filters)); i++ {
					r, err := m.match(&filters[i], &s, nil)
					if err != nil {
						errOnce.Do(func() { first = filterErr(&filters[i], err) })
						failed.Store(true)
						return
					}
					res[i] = r
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return res, nil
}

func filterErr(f *blockFilter, err error) error {
	return fmt.Errorf("filter of block %s: %w", f.block, err)
}
