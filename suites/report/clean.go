package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Clean makes a target-derived string safe to print in any report: it
// keeps newlines and tabs, shows every other control character (C0, DEL,
// C1), every bidirectional-override character and invalid UTF-8 as a
// visible escape (\x1b, \u202e, \ufffd), so that nothing a target answers
// can move a terminal's cursor, reorder a line, or break a YAML or XML
// file. Format-specific escaping (Markdown cells, HTML, XML) is done on
// top of it by each renderer.
func Clean(s string) string {
	if cleanAlready(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\r':
			b.WriteString(`\r`)
		case unsafeRune(r):
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// CleanLine is Clean for a one-line context (a table cell, a title): line
// breaks become spaces as well.
func CleanLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\t", " ").Replace(Clean(s))
}

// unsafeRune reports whether r must not reach a report as is.
func unsafeRune(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true // bidirectional formatting
	case r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff:
		return true // line/paragraph separators, BOM, non-characters
	}
	return false
}

// cleanAlready is the fast path: most strings hold nothing to clean.
func cleanAlready(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
			if c >= 0x80 {
				return !strings.ContainsFunc(s, func(r rune) bool { return r == utf8.RuneError || unsafeRune(r) }) && utf8.ValidString(s)
			}
			return false
		}
	}
	return true
}
