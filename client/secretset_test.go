package client

import (
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

// replacerOracle is what secretSet must equal: a strings.Replacer of the
// texts, longest first (the Redactor's former implementation).
func replacerOracle(marks map[string]string) *strings.Replacer {
	keys := make([]string, 0, len(marks))
	for k := range marks {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if len(keys[i]) != len(keys[j]) {
			return len(keys[i]) > len(keys[j])
		}
		return keys[i] < keys[j]
	})
	var pairs []string
	for _, k := range keys {
		pairs = append(pairs, k, marks[k])
	}
	return strings.NewReplacer(pairs...)
}

// TestSecretSetMatchesReplacer: on random text over a small alphabet (so
// that texts overlap, share prefixes, nest and repeat), secretSet replaces
// exactly as strings.Replacer does, after every Add.
func TestSecretSetMatchesReplacer(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(min, max int) string {
		n := min + rng.IntN(max-min+1)
		b := make([]byte, n)
		for i := range b {
			b[i] = "abcd."[rng.IntN(5)]
		}
		return string(b)
	}
	for round := range 200 {
		s := newSecretSet()
		marks := map[string]string{}
		for i := range 1 + rng.IntN(12) {
			text := word(4, 9)
			if _, ok := marks[text]; !ok {
				marks[text] = "<m" + string(rune('A'+i)) + ">"
			}
			s.add(text, marks[text])
			oracle := replacerOracle(marks)
			for range 20 {
				in := word(0, 60)
				if got, want := s.replace(in), oracle.Replace(in); got != want {
					t.Fatalf("round %d, texts %v: replace(%q) = %q, strings.Replacer gives %q", round, marks, in, got, want)
				}
			}
		}
	}
}

func TestSecretSetKeepsFirstMarkAndShortTexts(t *testing.T) {
	s := newSecretSet()
	s.add("abc", "<short>") // below minSecretLen: ignored
	s.add("secret-1", "<first>")
	s.add("secret-1", "<second>")
	if got := s.replace("x abc secret-1 y"); got != "x abc <first> y" {
		t.Errorf("replace = %q", got)
	}
	if in := "nothing to see"; s.replace(in) != in || s.len() != 1 {
		t.Errorf("unmatched text changed or wrong count %d", s.len())
	}
}

// BenchmarkRedactorAddThenRedact is the firing pattern: a token is
// registered, then a transcript redacted. "replacer" rebuilds a
// strings.Replacer after each Add (the former Redactor); "set" is the
// Redactor's secretSet. Compare the two in one run.
func BenchmarkRedactorAddThenRedact(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	tok := func() string {
		const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		buf := make([]byte, 600)
		for i := range buf {
			buf[i] = a[rng.IntN(len(a))]
		}
		return "eyJ" + string(buf)
	}
	base := map[string]string{}
	for i := range 40 {
		for _, v := range variantsOf(tok()) {
			if len(v) >= minSecretLen {
				base[v] = "<s" + string(rune('A'+i%26)) + ">"
			}
		}
	}
	text := strings.Repeat("> POST /token HTTP/1.1\n> Content-Type: application/x-www-form-urlencoded\n> grant_type=refresh_token&refresh_token="+tok()+"\n", 3)
	b.Run("replacer", func(b *testing.B) {
		marks := map[string]string{}
		for k, v := range base {
			marks[k] = v
		}
		for b.Loop() {
			marks[tok()] = "<new>"
			_ = replacerOracle(marks).Replace(text)
		}
	})
	b.Run("set", func(b *testing.B) {
		s := newSecretSet()
		for k, v := range base {
			s.add(k, v)
		}
		for b.Loop() {
			s.add(tok(), "<new>")
			_ = s.replace(text)
		}
	})
}
