package sealbox

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func box(t *testing.T, fill byte) *Box {
	t.Helper()
	b, err := New(bytes.Repeat([]byte{fill}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	b := box(t, 1)
	plain := []byte("whsec_secret")
	s1, s2 := b.Seal(plain, []byte("wh_1")), b.Seal(plain, []byte("wh_1"))
	if bytes.Contains(s1, plain) || bytes.Equal(s1, s2) {
		t.Fatal("sealed value shows the secret or repeats its nonce")
	}
	got, err := b.Open(s1, []byte("wh_1"))
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	tampered := bytes.Clone(s1)
	tampered[len(tampered)-1] ^= 1
	for name, c := range map[string]struct {
		b      *Box
		sealed []byte
		aad    string
	}{
		"other aad":   {b, s1, "wh_2"},
		"other key":   {box(t, 2), s1, "wh_1"},
		"tampered":    {b, tampered, "wh_1"},
		"truncated":   {b, s1[:10], "wh_1"},
		"bad version": {b, append([]byte{9}, s1[1:]...), "wh_1"},
	} {
		if _, err := c.b.Open(c.sealed, []byte(c.aad)); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
}

func TestParseKey(t *testing.T) {
	hexKey := strings.Repeat("ab", KeySize)
	for _, s := range []string{hexKey, " " + hexKey + "\n", "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="} {
		k, err := ParseKey(s)
		if err != nil || !bytes.Equal(k, bytes.Repeat([]byte{0xab}, KeySize)) {
			t.Errorf("ParseKey(%q) = %x, %v", s, k, err)
		}
	}
	for _, s := range []string{"", "abcd", strings.Repeat("ab", KeySize+1), "not base64!"} {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		}
	}
	if _, err := New(make([]byte, 16)); err == nil {
		t.Error("New accepted a 16-byte key")
	}
}

func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "webhook.key")
	k1, created, err := LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("first load: created=%v err=%v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	k2, created, err := LoadOrCreate(path)
	if err != nil || created || !bytes.Equal(k1, k2) {
		t.Fatalf("second load: created=%v err=%v same=%v", created, err, bytes.Equal(k1, k2))
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreate(path); err == nil {
		t.Fatal("a corrupt key file was accepted (a new key would orphan every stored secret)")
	}
}
