package bitcoind

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aead/siphash"
	"github.com/btcsuite/btcd/btcutil/gcs"
	"github.com/btcsuite/btcd/btcutil/gcs/builder"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

func randomScript(r *rand.Rand) []byte {
	var s []byte
	switch r.IntN(4) {
	case 0:
		s = append([]byte{0x00, 0x14}, make([]byte, 20)...)
	case 1:
		s = append([]byte{0x51, 0x20}, make([]byte, 32)...)
	case 2:
		s = append([]byte{0x76, 0xa9, 0x14}, make([]byte, 22)...)
		s[23], s[24] = 0x88, 0xac
	default:
		s = append([]byte{0xa9, 0x14}, make([]byte, 21)...)
		s[22] = 0x87
	}
	for i := 3; i < len(s)-2; i++ {
		s[i] = byte(r.Uint32())
	}
	return s
}

// buildFilter builds a basic filter of entries keyed by block with
// btcd's reference builder, and returns it with its NBytes form.
func buildFilter(t testing.TB, block chainhash.Hash, entries [][]byte) (*gcs.Filter, []byte) {
	f, err := builder.WithKeyHash(&block).AddEntries(entries).Build()
	if err != nil {
		t.Fatal(err)
	}
	nb, err := f.NBytes()
	if err != nil {
		t.Fatal(err)
	}
	return f, nb
}

// TestMatchAgainstGCS compares the matcher with btcd's gcs package on
// random filters and wallets, false positives included: the set of
// scripts found must be exactly those gcs.Filter.Match accepts, and
// "any" must agree with ZipMatchAny and, where its hashing variant is
// exact (N*M < 2^32: it truncates values to 32 bits), with MatchAny.
func TestMatchAgainstGCS(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	rounds := 120
	if testing.Short() {
		rounds = 60
	}
	var s scratch
	positives, falsePositives := 0, 0
	for round := 0; round < rounds; round++ {
		var block chainhash.Hash
		for i := range block {
			block[i] = byte(r.Uint32())
		}
		n := r.IntN(3000)
		if round%10 == 0 {
			n = 5400 + r.IntN(1200) // around the 2^32 boundary of N*M
		}
		entries := make([][]byte, n)
		for i := range entries {
			entries[i] = randomScript(r)
		}
		// A wallet: some scripts in the filter, most not. Small filters
		// get huge wallets so that false positives occur.
		w := 1 + r.IntN(400)
		if n < 50 {
			w = 20000
		}
		scripts := make([][]byte, w)
		for i := range scripts {
			if n > 0 && r.IntN(50) == 0 {
				scripts[i] = entries[r.IntN(n)]
			} else {
				scripts[i] = randomScript(r)
			}
		}
		if round%20 == 1 && n > 0 {
			// A false positive made on purpose: a script that is not in
			// the filter but hashes to the value of an entry.
			scripts = append(scripts, collide(r, block, entries))
		}
		f, nb := buildFilter(t, block, entries)
		m := &matcher{scripts: scripts}
		got, err := m.match(&blockFilter{block: block, data: nb}, &s, nil)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		key := builder.DeriveKey(&block)
		var want []int32
		for i, sc := range scripts {
			ok, err := f.Match(key, sc)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				want = append(want, int32(i))
				if !slices.ContainsFunc(entries, func(e []byte) bool { return string(e) == string(sc) }) {
					falsePositives++
				}
			}
		}
		positives += len(want)
		if !slices.Equal(got, want) {
			t.Fatalf("round %d (N=%d, %d scripts): matcher %v, gcs.Match %v", round, n, len(scripts), got, want)
		}
		zip, err := f.ZipMatchAny(key, scripts)
		if err != nil {
			t.Fatal(err)
		}
		if zip != (len(got) > 0) {
			t.Fatalf("round %d: ZipMatchAny %v, matcher %v", round, zip, got)
		}
		if uint64(n)*filterM < 1<<32 {
			anyMatch, err := f.MatchAny(key, scripts)
			if err != nil {
				t.Fatal(err)
			}
			if anyMatch != (len(got) > 0) {
				t.Fatalf("round %d: MatchAny %v, matcher %v", round, anyMatch, got)
			}
		}
	}
	if positives == 0 || falsePositives == 0 {
		t.Errorf("test too weak: %d matches, %d false positives", positives, falsePositives)
	}
	t.Logf("%d matches, %d of them false positives", positives, falsePositives)
}

// collide searches for a script that is not among entries but hashes to
// the same filter value as one of them (about a million tries per hit
// for one entry; fewer for more).
func collide(r *rand.Rand, block chainhash.Hash, entries [][]byte) []byte {
	key := builder.DeriveKey(&block)
	nm := uint64(len(entries)) * filterM
	in := make(map[uint64]bool)
	for _, e := range entries {
		hi, _ := bits.Mul64(siphash.Sum64(e, &key), nm)
		in[hi] = true
	}
	for {
		s := randomScript(r)
		hi, _ := bits.Mul64(siphash.Sum64(s, &key), nm)
		if in[hi] && !slices.ContainsFunc(entries, func(e []byte) bool { return string(e) == string(s) }) {
			return s
		}
	}
}

func TestMatchBadFilters(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	entries := make([][]byte, 100)
	for i := range entries {
		entries[i] = randomScript(r)
	}
	var block chainhash.Hash
	_, nb := buildFilter(t, block, entries)
	m := &matcher{scripts: [][]byte{entries[0]}}
	var s scratch
	for _, bad := range [][]byte{nil, {0xff}, {0xfd, 1}, nb[:len(nb)/2]} {
		if _, err := m.match(&blockFilter{block: block, data: bad}, &s, nil); err == nil {
			t.Errorf("filter %x: no error", bad)
		}
	}
	if got, err := m.match(&blockFilter{block: block, data: []byte{0}}, &s, nil); err != nil || len(got) != 0 {
		t.Errorf("empty filter: %v, %v", got, err)
	}
	if got, err := m.match(&blockFilter{block: block, data: nb}, &s, nil); err != nil || len(got) != 1 {
		t.Errorf("good filter: %v, %v", got, err)
	}
}

// benchSet is the benchmark's wallet and filters, built once.
var benchFilterCount = 10_000

var benchSet struct {
	once    sync.Once
	scripts [][]byte
	filters []blockFilter
	built   time.Duration
}

// benchFilters builds 10,000 filters of 5,000 random scripts each (one in
// a hundred also holding a wallet script) and a 2,000-script wallet,
// on all cores, with btcd's reference filter builder.
func benchFilters(b *testing.B) ([][]byte, []blockFilter) {
	benchSet.once.Do(func() {
		start := time.Now()
		nFilters, nEntries, nScripts := benchFilterCount, 5_000, 2_000
		r := rand.New(rand.NewPCG(5, 6))
		scripts := make([][]byte, nScripts)
		for i := range scripts {
			scripts[i] = randomScript(r)
		}
		filters := make([]blockFilter, nFilters)
		var wg sync.WaitGroup
		workers := runtime.NumCPU()
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(w), 7))
				entries := make([][]byte, nEntries)
				for i := w; i < nFilters; i += workers {
					for k := range entries {
						entries[k] = randomScript(r)
					}
					if i%100 == 0 {
						entries[0] = scripts[r.IntN(nScripts)]
					}
					var block chainhash.Hash
					for k := range block {
						block[k] = byte(r.Uint32())
					}
					_, nb := buildFilter(b, block, entries)
					filters[i] = blockFilter{block: block, data: nb}
				}
			}(w)
		}
		wg.Wait()
		benchSet.scripts, benchSet.filters = scripts, filters
		benchSet.built = time.Since(start)
	})
	return benchSet.scripts, benchSet.filters
}

// BenchmarkMatch2000x10000 matches a 2,000-script wallet against 10,000
// filters of 5,000 entries on every core; one op is the full scan, also
// reported as ms/scan.
func BenchmarkMatch2000x10000(b *testing.B) {
	scripts, filters := benchFilters(b)
	b.Logf("filters built in %v; %d workers", benchSet.built, runtime.NumCPU())
	m := &matcher{scripts: scripts}
	b.ResetTimer()
	start, cpu := time.Now(), processCPU()
	matched := 0
	for i := 0; i < b.N; i++ {
		res, err := m.matchAll(filters, 0)
		if err != nil {
			b.Fatal(err)
		}
		matched = 0
		for _, r := range res {
			if r != nil {
				matched++
			}
		}
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/scan")
	if cpu >= 0 {
		b.ReportMetric((processCPU()-cpu)/1e3/float64(b.N), "cpu-ms/scan")
	}
	b.ReportMetric(float64(matched), "blocks-matched")
}

// BenchmarkMatchGCS is the same scan with gcs.Filter.MatchAny on one
// core, for comparison, over the first 1,000 filters.
func BenchmarkMatchGCS(b *testing.B) {
	scripts, filters := benchFilters(b)
	filters = filters[:1000]
	parsed := make([]*gcs.Filter, len(filters))
	for i, f := range filters {
		var err error
		if parsed[i], err = gcs.FromNBytes(filterP, filterM, f.data); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k, f := range parsed {
			if _, err := f.MatchAny(builder.DeriveKey(&filters[k].block), scripts); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(filters)), "µs/filter")
}

func TestSipHash(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	for n := 0; n < 80; n++ {
		var key [16]byte
		for i := range key {
			key[i] = byte(r.Uint32())
		}
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(r.Uint32())
		}
		k0 := binary.LittleEndian.Uint64(key[:8])
		k1 := binary.LittleEndian.Uint64(key[8:])
		if got, want := sipHash24(k0, k1, p), siphash.Sum64(p, &key); got != want {
			t.Fatalf("length %d: %x, want %x", n, got, want)
		}
	}
}

// BenchmarkMatchOne is one filter of 5,000 entries against 2,000 scripts
// on one core.
func BenchmarkMatchOne(b *testing.B) {
	r := rand.New(rand.NewPCG(10, 11))
	scripts := make([][]byte, 2000)
	for i := range scripts {
		scripts[i] = randomScript(r)
	}
	entries := make([][]byte, 5000)
	for i := range entries {
		entries[i] = randomScript(r)
	}
	var block chainhash.Hash
	_, nb := buildFilter(b, block, entries)
	m := &matcher{scripts: scripts}
	f := &blockFilter{block: block, data: nb}
	var s scratch
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.match(f, &s, nil); err != nil {
			b.Fatal(err)
		}
	}
}
