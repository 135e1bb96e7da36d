package pkpass_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/walletwallet/walletwallet/internal/lint"
	"github.com/walletwallet/walletwallet/internal/pkpass"
)

func streamFiles() []pkpass.File {
	return []pkpass.File{
		{Name: "pass.json", Data: []byte(`{"formatVersion": 1}`)},
		{Name: "icon.png", Data: []byte("\x89PNG\r\n\x1a\n not really")},
		{Name: "fr.lproj/pass.strings", Data: []byte(`"a" = "b";`)},
	}
}

func signStub(m []byte) ([]byte, error) { return []byte("sig"), nil }

// TestBundleStreamable reads the bundle as a streaming reader must: every
// entry stored with its CRC and sizes in the local header, none with a data
// descriptor (which java.util.zip.ZipInputStream refuses on stored entries).
func TestBundleStreamable(t *testing.T) {
	b, err := pkpass.Bundle(streamFiles(), signStub)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := lint.ReadZip(b)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
		if e.Method != 0 || e.Flags&(1<<3) != 0 {
			t.Errorf("%s: method %d flags %#x, want stored without descriptor", e.Name, e.Method, e.Flags)
		}
	}
	want := []string{"pass.json", "icon.png", "fr.lproj/pass.strings", "manifest.json", "signature"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("entries %v, want %v", names, want)
	}
}

// javaReader lists the entries ZipInputStream reads, reading each to its end.
const javaReader = `import java.io.*; import java.util.zip.*;
public class ReadPass { public static void main(String[] a) throws Exception {
  try (ZipInputStream z = new ZipInputStream(new FileInputStream(a[0]))) {
    ZipEntry e; while ((e = z.getNextEntry()) != null) { z.readAllBytes(); System.out.println(e.getName()); }
  } } }
`

// TestBundleJavaZipInputStream runs Java's streaming reader on a bundle when
// a JDK is installed. TestBundleStreamable is the check that always runs.
func TestBundleJavaZipInputStream(t *testing.T) {
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("no java on PATH; TestBundleStreamable covers the rule")
	}
	dir := t.TempDir()
	b, err := pkpass.Bundle(streamFiles(), signStub)
	if err != nil {
		t.Fatal(err)
	}
	src, pass := filepath.Join(dir, "ReadPass.java"), filepath.Join(dir, "p.pkpass")
	if err := os.WriteFile(src, []byte(javaReader), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pass, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(java, src, pass).CombinedOutput()
	if err != nil {
		t.Fatalf("java ZipInputStream: %v\n%s", err, out)
	}
	got := strings.Fields(string(out))
	want := []string{"pass.json", "icon.png", "fr.lproj/pass.strings", "manifest.json", "signature"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("java read %v, want %v", got, want)
	}
}
