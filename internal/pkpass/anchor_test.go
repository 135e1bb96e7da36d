package pkpass

import (
	"math/rand/v2"
	"regexp"
	"strings"
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
