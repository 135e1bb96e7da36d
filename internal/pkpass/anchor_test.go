package pkpass

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// TestOnlyAnchorMarkupMatchesRegexp: the hand-written check says what the
// rule's regexp formulation said (remove every <a href="…"> and </a>, then
// no '<' or '>' may be left), on edge cases and on random strings over the
// tags' own alphabet.
func TestOnlyAnchorMarkupMatchesRegexp(t *testing.T) {
	tag := regexp.MustCompile(`<a href="[^"<>]*">|</a>`)
	want := func(s string) bool { return !strings.ContainsAny(tag.ReplaceAllString(s, ""), "<>") }
	cases := []string{
		"", "plain", `<a href="https://x">x</a>`, `<a href="">`, `</a>`, `<a href="x"`, `<a href="x>">`,
		`<a href="x<">`, `<a href=x>`, `<b>bold</b>`, `a > b`, `a < b`, `<a href="a"">`, `<</a>`, `</a>>`,
		`<a href="<a href="x">">`, `<a  href="x">`, `<A HREF="x">`, `<a href="é">ü</a>`, `</a`, `<a href="`,
	}
	for _, s := range cases {
		if got := onlyAnchorMarkup(s); got != want(s) {
			t.Errorf("onlyAnchorMarkup(%q) = %v, want %v", s, got, want(s))
		}
	}
	pieces := []string{"<", ">", "a", "/", `"`, " ", "href=", `<a href="`, "</a>", `">`, "x"}
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 20000; n++ {
		var sb strings.Builder
		for k := r.IntN(8); k >= 0; k-- {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		if s := sb.String(); onlyAnchorMarkup(s) != want(s) {
			t.Fatalf("onlyAnchorMarkup(%q) = %v, want %v", s, onlyAnchorMarkup(s), want(s))
		}
	}
}

// TestStringsMatchesReplacer: pass.strings is written as the replacer it
// was first written with escaped it.
func TestStringsMatchesReplacer(t *testing.T) {
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	quote := func(s string) string { return `"` + esc.Replace(s) + `"` }
	pieces := []string{`\`, `"`, "\n", "\r", "\t", "a", "é", " = ", ";", "\x01"}
	r := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 2000; n++ {
		strs := map[string]string{}
		for k := r.IntN(4); k >= 0; k-- {
			var kb, vb strings.Builder
			for j := r.IntN(6); j >= 0; j-- {
				kb.WriteString(pieces[r.IntN(len(pieces))])
				vb.WriteString(pieces[r.IntN(len(pieces))])
			}
			strs[kb.String()] = vb.String()
		}
		var want strings.Builder
		for _, k := range sortedKeys(strs) {
			want.WriteString(quote(k) + " = " + quote(strs[k]) + ";\n")
		}
		if got := string(Strings(strs)); got != want.String() {
			t.Fatalf("Strings(%q) = %q, want %q", strs, got, want.String())
		}
	}
}

// TestSpecialWord: the eight-bytes-at-once test agrees with looking at each
// byte, for every byte value at every position among ordinary neighbours
// and for random words.
func TestSpecialWord(t *testing.T) {
	slow := func(w uint64) bool {
		for k := 0; k < 8; k++ {
			if c := byte(w >> (8 * k)); c < 0x20 || c == '"' || c == '\\' {
				return true
			}
		}
		return false
	}
	for _, fill := range []byte{'a', 0x20, 0x7f, 0x80, 0xff, '"' + 1, '\\' + 1} {
		for pos := 0; pos < 8; pos++ {
			for c := 0; c < 256; c++ {
				var w uint64
				for k := 0; k < 8; k++ {
					b := fill
					if k == pos {
						b = byte(c)
					}
					w |= uint64(b) << (8 * k)
				}
				if special(w) != slow(w) {
					t.Fatalf("special(%#x) = %v", w, special(w))
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	for n := 0; n < 1_000_000; n++ {
		if w := r.Uint64(); special(w) != slow(w) {
			t.Fatalf("special(%#x) = %v", w, special(w))
		}
	}
	s := strings.Repeat("abcdefgh", 3) + `"` + "tail"
	if i := skipPlainString(s, 0); i > strings.IndexByte(s, '"') {
		t.Fatalf("skipPlainString stepped over the quote: %d", i)
	}
}

// TestParseConcurrent: parses share pooled stacks, never their contents:
// every example parsed on several goroutines at once (one of them with a
// syntax error half-way, which leaves children on its stacks) gives the
// canonical bytes it gives alone.
func TestParseConcurrent(t *testing.T) {
	want := map[string]string{}
	bodies := examples(t)
	for name, b := range bodies {
		_, canon, _, err := ParseCanonical(b)
		if err != nil {
			t.Fatal(name, err)
		}
		want[name] = string(canon)
	}
	broken := []byte(`{"primaryFields":[{"label":"a","value":"b"},{"label":`)
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, err := Parse(broken); err == nil {
					errs <- "broken body parsed"
					return
				}
				for name, b := range bodies {
					if _, canon, _, err := ParseCanonical(b); err != nil || string(canon) != want[name] {
						errs <- name + ": canonical bytes differ under concurrency"
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
