package portfolio

import (
	"encoding/hex"
	"strings"
)

// Registration records that a multisig wallet was registered on one
// hardware wallet: the wallet's descriptor, the name it was registered
// under, the device's master key fingerprint, and what the device returned
// to present with later requests (a Ledger's HMAC of the wallet policy),
// so that showing addresses and signing need no new registration. It is
// bound to that device's seed, so it is kept per wallet and device. It is
// not secret (it proves nothing without the device), but losing it means
// registering again on the device.
type Registration struct {
	Descriptor  string // the multisig descriptor, canonical, with checksum
	Name        string // the name the device shows, 1 to 64 printable ASCII characters
	Fingerprint string // the device's master key fingerprint, 8 lowercase hex digits
	Data        string // what the device returned, lowercase hex (a Ledger: 64 digits)
}

// Registration returns the registration of descriptor on the device with
// the given fingerprint, or nil.
func (p *Portfolio) Registration(descriptor, fingerprint string) *Registration {
	for i := range p.Registrations {
		r := &p.Registrations[i]
		if r.Descriptor == descriptor && r.Fingerprint == fingerprint {
			return r
		}
	}
	return nil
}

// WithRegistration returns a copy of p with r added, replacing the
// registration of the same descriptor on the same device, validated.
func (p *Portfolio) WithRegistration(r Registration) (*Portfolio, error) {
	q := p.Clone()
	if old := q.Registration(r.Descriptor, r.Fingerprint); old != nil {
		*old = r
	} else {
		q.Registrations = append(q.Registrations, r)
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return q, nil
}

func (r *Registration) validate(c *checker, i int) {
	add := func(key, f string, a ...any) { c.add("registration", i, -1, r.Name, key, f, a...) }
	if strings.TrimSpace(r.Descriptor) == "" {
		add("descriptor", "is required: the multisig wallet's descriptor")
	}
	if n := len(r.Name); n == 0 || n > 64 || strings.TrimSpace(r.Name) != r.Name {
		add("name", "must be 1 to 64 characters without leading or trailing spaces")
	}
	for _, ch := range r.Name {
		if ch < 0x20 || ch > 0x7e {
			add("name", "must be printable ASCII (the device shows it)")
			break
		}
	}
	if b, err := hex.DecodeString(r.Fingerprint); err != nil || len(b) != 4 || strings.ToLower(r.Fingerprint) != r.Fingerprint {
		add("fingerprint", "must be 8 lowercase hex digits, got %q", r.Fingerprint)
	}
	if b, err := hex.DecodeString(r.Data); err != nil || len(b) == 0 || strings.ToLower(r.Data) != r.Data {
		add("data", "must be lowercase hex, as the device returned it")
	}
}
