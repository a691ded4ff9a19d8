package descriptor

// Multisig setup files, which carry a multisig wallet from one wallet
// program or device to another:
//
// BIP 129 (BSMS) descriptor record, round 2 without encryption:
//
//	BSMS 1.0
//	wsh(sortedmulti(2,[1cf0bf7e/48'/0'/0'/2']xpub.../**,[4fc1dd4a/48'/0'/0'/2']xpub.../**))
//	/0/*,/1/*
//	bc1qrgc6p3kylfztu06ysl752gwwuekhvtfh9vr7zg43jvu60mutamcsv948ej
//
// the version, the descriptor template whose keys end in "/**", the path
// restrictions "/**" stands for (receive, then change), and the wallet's
// first receive address, which a reader checks against the keys.
//
// Coldcard's multisig setup file (sortedmulti only):
//
//	# Coldcard Multisig setup file
//	Name: Family vault
//	Policy: 2 of 3
//	Format: P2WSH
//
//	Derivation: m/48'/0'/0'/2'
//	1CF0BF7E: xpub...
//
// "Format" is P2SH, P2SH-P2WSH (or P2WSH-P2SH) or P2WSH; each key line is
// the master fingerprint and the account key, at the derivation of the
// last "Derivation:" line above it; keys derive receive and change as
// /0/* and /1/*. Lines starting with "#" are comments.

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// BSMS writes m as a BIP 129 descriptor record (see the top of this file),
// with hardened steps written "'" as in the BIP's examples.
func (m *Multisig) BSMS() (string, error) {
	restr := ""
	for _, k := range m.keys {
		r := fmt.Sprintf("/%d/*,/%d/*", k.multi[0], k.multi[1])
		if restr != "" && restr != r {
			return "", errNoPos(ErrUnsupported, "BSMS needs every key to take the same receive and change steps")
		}
		restr = r
	}
	tmpl := m.text(func(k *key) string {
		return "[" + hex.EncodeToString(k.origin.Fingerprint[:]) + apostrophePath(k.origin.Path) + "]" + k.ext.text + "/**"
	})
	first, err := m.Derive(false, 0)
	if err != nil {
		return "", err
	}
	return "BSMS 1.0\n" + tmpl + "\n" + restr + "\n" + first.Address + "\n", nil
}

// apostrophePath writes a path "/48'/0'/0'/2'", hardened steps with "'"
// as BIP 129's and Coldcard's files do.
func apostrophePath(path []uint32) string {
	var b strings.Builder
	writePath(&b, path)
	return strings.ReplaceAll(b.String(), "h", "'")
}

// ParseBSMS reads a BIP 129 descriptor record for network net: the
// template must be a multisig one with every key ending in "/**", the
// path restrictions two paths "/a/*,/b/*" (receive, change), and the first
// address the one the keys give. Errors name the line.
func ParseBSMS(text string, net Network) (*Multisig, error) {
	lines := recordLines(text)
	switch {
	case len(lines) == 0 || lines[0] != "BSMS 1.0":
		return nil, errNoPos(ErrSyntax, "line 1: want \"BSMS 1.0\"")
	case len(lines) != 4:
		return nil, errNoPos(ErrSyntax, "a BSMS descriptor record has 4 lines (version, descriptor, path restrictions, first address), this one %d", len(lines))
	}
	tmpl, sum, hasSum := strings.Cut(lines[1], "#")
	if hasSum {
		want, err := Checksum(tmpl)
		if err != nil || want != sum {
			return nil, errNoPos(ErrChecksum, "line 2: checksum %q does not match the descriptor template (want %q)", sum, want)
		}
	}
	if lines[2] == "No path restrictions" {
		return nil, errNoPos(ErrUnsupported, "line 3: no path restrictions: hardfolio takes multisig wallets whose keys derive receive and change chains (/0/*,/1/*)")
	}
	paths := strings.Split(lines[2], ",")
	var steps []string
	for _, p := range paths {
		n, ok := strings.CutPrefix(p, "/")
		if ok {
			n, ok = strings.CutSuffix(n, "/*")
		}
		if _, err := strconv.ParseUint(n, 10, 31); !ok || err != nil {
			return nil, errNoPos(ErrSyntax, "line 3: path restriction %q: want /N/*", p)
		}
		steps = append(steps, n)
	}
	if len(steps) != 2 {
		return nil, errNoPos(ErrUnsupported, "line 3: %d path restrictions: want two, receive and change (/0/*,/1/*)", len(steps))
	}
	if !strings.Contains(tmpl, "/**") {
		return nil, errNoPos(ErrSyntax, "line 2: the descriptor template's keys must end in /**")
	}
	desc := strings.ReplaceAll(tmpl, "/**", "/<"+steps[0]+";"+steps[1]+">/*")
	m, err := ParseMultisig(desc, net)
	if err != nil {
		return nil, fmt.Errorf("line 2: %w", err)
	}
	first, err := m.Derive(false, 0)
	if err != nil {
		return nil, err
	}
	if first.Address != lines[3] {
		return nil, errNoPos(ErrSyntax, "line 4: the first address is %s but the keys give %s: the record was altered or is for another network", lines[3], first.Address)
	}
	return m, nil
}

// recordLines splits a setup file into its lines, without line ends and
// surrounding blanks; blank lines at the end are dropped.
func recordLines(text string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		out = append(out, strings.TrimSpace(sc.Text()))
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// Coldcard's names of the multisig wrappers.
var coldcardFormats = map[Wrap]string{WrapWSH: "P2WSH", WrapSHWSH: "P2SH-P2WSH", WrapSH: "P2SH"}

// Coldcard writes m as a Coldcard multisig setup file named name (see the
// top of this file). Coldcard takes sortedmulti wallets whose keys derive
// receive and change as /0/* and /1/*, and names of at most 20 characters.
func (m *Multisig) Coldcard(name string) (string, error) {
	if !m.sorted {
		return "", errNoPos(ErrUnsupported, "a Coldcard setup file describes sortedmulti wallets; this one is multi() (keys in the given order): export the descriptor instead")
	}
	if name == "" || len(name) > 20 {
		return "", errNoPos(ErrSyntax, "a Coldcard wallet name has 1 to 20 characters, got %q", name)
	}
	var b strings.Builder
	b.WriteString("# Coldcard Multisig setup file (exported by hardfolio)\n#\n")
	fmt.Fprintf(&b, "Name: %s\nPolicy: %d of %d\nFormat: %s\n", name, m.k, len(m.keys), coldcardFormats[m.wrap])
	for _, k := range m.keys {
		if k.multi[0] != 0 || k.multi[1] != 1 {
			return "", errNoPos(ErrUnsupported, "a Coldcard setup file needs keys deriving /0/* and /1/*, not /<%d;%d>/*", k.multi[0], k.multi[1])
		}
		fmt.Fprintf(&b, "\nDerivation: m%s\n%X: %s\n", apostrophePath(k.origin.Path), k.origin.Fingerprint[:], k.ext.text)
	}
	return b.String(), nil
}

// ParseColdcard reads a Coldcard multisig setup file for network net and
// returns the wallet (a sortedmulti descriptor) and its name. Errors name
// the line.
func ParseColdcard(text string, net Network) (*Multisig, string, error) {
	var name, format, deriv string
	k, n := 0, 0
	var keys []string
	for i, line := range recordLines(text) {
		at := func(f string, a ...any) error {
			return errNoPos(ErrSyntax, "line %d: "+f, append([]any{i + 1}, a...)...)
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		label, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, "", at("want \"Label: value\"")
		}
		label, value = strings.TrimSpace(label), strings.TrimSpace(value)
		switch strings.ToLower(label) {
		case "name":
			name = value
		case "policy":
			a, b, ok := strings.Cut(value, " of ")
			var err1, err2 error
			k, err1 = strconv.Atoi(strings.TrimSpace(a))
			n, err2 = strconv.Atoi(strings.TrimSpace(b))
			if !ok || err1 != nil || err2 != nil {
				return nil, "", at("policy %q: want \"M of N\"", value)
			}
		case "format":
			format = strings.ToUpper(value)
		case "derivation":
			p, ok := strings.CutPrefix(value, "m/")
			if !ok {
				return nil, "", at("derivation %q: want m/...", value)
			}
			deriv = strings.ReplaceAll(p, "'", "h")
		default:
			if len(label) != 8 {
				return nil, "", at("unknown line %q", label)
			}
			if deriv == "" {
				return nil, "", at("key %s comes before any \"Derivation:\" line", label)
			}
			keys = append(keys, "["+strings.ToLower(label)+"/"+deriv+"]"+value+"/<0;1>/*")
		}
	}
	wrap := ""
	switch format {
	case "P2WSH":
		wrap = "wsh(%s)"
	case "P2SH-P2WSH", "P2WSH-P2SH":
		wrap = "sh(wsh(%s))"
	case "P2SH":
		wrap = "sh(%s)"
	default:
		return nil, "", errNoPos(ErrUnsupported, "format %q: want P2WSH, P2SH-P2WSH or P2SH", format)
	}
	if n != len(keys) {
		return nil, "", errNoPos(ErrSyntax, "the policy says %d of %d but the file has %d keys", k, n, len(keys))
	}
	m, err := ParseMultisig(fmt.Sprintf(wrap, "sortedmulti("+strconv.Itoa(k)+","+strings.Join(keys, ",")+")"), net)
	if err != nil {
		return nil, "", err
	}
	return m, name, nil
}
