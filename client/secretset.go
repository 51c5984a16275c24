package client

import (
	"encoding/binary"
	"sort"
	"strings"
)

// secretSet finds registered secret texts in a string and replaces each by
// its mark: what a strings.Replacer of the texts (longest first) does, but
// a text can be added at any time at the cost of a map insert. The
// Redactor registers every token the target issues while the catalogue
// fires, and a Replacer would be rebuilt (hundreds of texts, under the
// write lock) after each; a set only grows.
//
// Every text is at least minSecretLen (4) bytes long. Texts are indexed by
// their first four bytes; a 64 Ki-bit filter of those four bytes' hash
// lets the scan skip, for one multiply and one bit test, nearly every
// position where no text starts.
type secretSet struct {
	byPrefix map[uint32][]string // first four bytes -> texts, longest first
	marks    map[string]string   // text -> mark
	filter   [1 << 16 / 64]uint64
}

func newSecretSet() *secretSet {
	return &secretSet{byPrefix: make(map[uint32][]string), marks: make(map[string]string)}
}

// filterBit returns the filter position of a four-byte prefix.
func filterBit(k uint32) uint32 { return (k * 2654435761) >> 16 }

// has reports whether text is registered.
func (s *secretSet) has(text string) bool { _, ok := s.marks[text]; return ok }

// len returns how many texts are registered.
func (s *secretSet) len() int { return len(s.marks) }

// add registers text (len(text) >= minSecretLen) with its mark; a text
// already registered keeps its first mark.
func (s *secretSet) add(text, mark string) {
	if len(text) < minSecretLen || s.has(text) {
		return
	}
	s.marks[text] = mark
	k := binary.LittleEndian.Uint32([]byte(text[:4]))
	b := append(s.byPrefix[k], text)
	// Longest first, then in byte order, as a Replacer given the texts
	// longest first: at one position the longest registered text wins.
	sort.Slice(b, func(i, j int) bool {
		if len(b[i]) != len(b[j]) {
			return len(b[i]) > len(b[j])
		}
		return b[i] < b[j]
	})
	s.byPrefix[k] = b
	bit := filterBit(k)
	s.filter[bit/64] |= 1 << (bit % 64)
}

// replace returns str with every registered text replaced by its mark,
// scanning left to right and taking the longest text at each position;
// str itself when nothing matched.
func (s *secretSet) replace(str string) string {
	if len(s.marks) == 0 || len(str) < minSecretLen {
		return str
	}
	var b strings.Builder
	last := 0
	for i := 0; i+minSecretLen <= len(str); {
		k := uint32(str[i]) | uint32(str[i+1])<<8 | uint32(str[i+2])<<16 | uint32(str[i+3])<<24
		if bit := filterBit(k); s.filter[bit/64]&(1<<(bit%64)) == 0 {
			i++
			continue
		}
		matched := ""
		for _, t := range s.byPrefix[k] {
			if strings.HasPrefix(str[i:], t) {
				matched = t
				break
			}
		}
		if matched == "" {
			i++
			continue
		}
		if b.Len() == 0 && last == 0 {
			b.Grow(len(str))
		}
		b.WriteString(str[last:i])
		b.WriteString(s.marks[matched])
		i += len(matched)
		last = i
	}
	if last == 0 {
		return str
	}
	b.WriteString(str[last:])
	return b.String()
}
