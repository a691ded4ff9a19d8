package store

import (
	"bytes"
	"path/filepath"
	"testing"
)

// benchPortfolio is a 200 KB portfolio-like content.
func benchPortfolio() []byte {
	line := []byte("[[holding]]\nkind = \"gold\"\nname = \"1 oz coin\"\ngrams = 31.1035\n\n")
	return bytes.Repeat(line, 200_000/len(line)+1)[:200_000]
}

// BenchmarkSave measures a Save of a 200 KB portfolio: temporary file,
// fsync, backup link, rename, directory fsyncs and pruning to 10 backups.
func BenchmarkSave(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "portfolio.toml"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	data := benchPortfolio()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := s.Save(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSaveEncrypted is BenchmarkSave on an encrypted portfolio with
// age's default scrypt cost, which dominates.
func BenchmarkSaveEncrypted(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "portfolio.toml"), Options{
		Passphrase: func(bool) ([]byte, error) { return []byte(testPass), nil },
	})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.Encrypt(); err != nil {
		b.Fatal(err)
	}
	data := benchPortfolio()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := s.Save(data); err != nil {
			b.Fatal(err)
		}
	}
}
