package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// ageHeader starts every binary age file, which is what Save writes.
const ageHeader = "age-encryption.org/v1"

// maxWorkFactor is the highest scrypt work factor accepted, for writing and
// for reading (age's own default limit for reading).
const maxWorkFactor = 22

// isEncrypted reports whether data is an age file, binary or armored.
func isEncrypted(data []byte) bool {
	if bytes.HasPrefix(data, []byte(ageHeader)) {
		return true
	}
	return bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte(armor.Header))
}

// decrypt decrypts the portfolio file's content raw with the store's
// passphrase, asking for it (confirm false) if it is not known yet. A
// passphrase that works is kept for the next reads and writes; a wrong one
// is forgotten and reported as ErrBadPassphrase.
func (s *Store) decrypt(raw []byte) ([]byte, error) {
	pass := s.pass
	if !s.havePass {
		p, err := s.ask(false)
		if err != nil {
			return nil, err
		}
		pass = p
	}
	plain, err := decryptWith(raw, pass)
	switch {
	case errors.Is(err, ErrBadPassphrase):
		s.pass, s.havePass = "", false
	case err == nil || errors.Is(err, errDamaged):
		// The header, authenticated by the passphrase, was fine: the
		// passphrase is right even if the body is damaged.
		s.pass, s.havePass = pass, true
	}
	return plain, err
}

// decryptBackup decrypts a backup's content raw. A backup may be under an
// earlier passphrase than the file: when the store's passphrase (if known)
// does not open it, the passphrase is asked (confirm false) for this backup
// alone, and not kept.
func (s *Store) decryptBackup(raw []byte) ([]byte, error) {
	if s.havePass {
		plain, err := decryptWith(raw, s.pass)
		if !errors.Is(err, ErrBadPassphrase) {
			return plain, err
		}
	}
	pass, err := s.ask(false)
	if err != nil {
		return nil, err
	}
	return decryptWith(raw, pass)
}

// errDamaged is wrapped by the error for an encrypted file whose header
// opened with the passphrase but whose body does not decrypt.
var errDamaged = errors.New("damaged encrypted data")

// decryptWith decrypts an age file, binary or armored, with pass. It
// returns ErrBadPassphrase when pass is not the file's passphrase.
func decryptWith(raw []byte, pass string) ([]byte, error) {
	id, err := age.NewScryptIdentity(pass)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoPassphrase, err)
	}
	id.SetMaxWorkFactor(maxWorkFactor)
	var src io.Reader = bytes.NewReader(raw)
	if !bytes.HasPrefix(raw, []byte(ageHeader)) {
		src = armor.NewReader(src)
	}
	r, err := age.Decrypt(src, id)
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return nil, ErrBadPassphrase
	}
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w: %w", errDamaged, err)
	}
	return plain, nil
}

// encrypt encrypts plain with the store's passphrase, which the caller has
// made sure is known.
func (s *Store) encrypt(plain []byte) ([]byte, error) {
	r, err := age.NewScryptRecipient(s.pass)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoPassphrase, err)
	}
	if s.opts.ScryptWorkFactor > 0 {
		r.SetWorkFactor(s.opts.ScryptWorkFactor)
	}
	var buf bytes.Buffer
	buf.Grow(len(plain) + len(plain)/(64<<10)*16 + 512) // age adds 16 bytes per 64 KiB chunk and a header
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		return nil, fmt.Errorf("encrypt: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, fmt.Errorf("encrypt: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encrypt: %w", err)
	}
	return buf.Bytes(), nil
}
