package pkpass

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"testing"
)

func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 13), uint8(x ^ y), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fakeSign records what it was asked to sign and returns a recognisable blob.
type fakeSign struct{ got []byte }

func (f *fakeSign) sign(m []byte) ([]byte, error) {
	f.got = append([]byte(nil), m...)
	sum := sha1.Sum(m)
	return []byte("SIGNATURE-OF-" + hex.EncodeToString(sum[:])), nil
}

func unzip(t *testing.T, b []byte) map[string]*zip.File {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	out := map[string]*zip.File{}
	for _, f := range zr.File {
		if _, dup := out[f.Name]; dup {
			t.Errorf("duplicate zip entry %s", f.Name)
		}
		out[f.Name] = f
	}
	return out
}

func readZipFile(t *testing.T, f *zip.File) []byte {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBundle(t *testing.T) {
	passJSON, err := mustParse(t, string(examples(t)["bayroast"])).PassJSON(testInfo)
	if err != nil {
		t.Fatal(err)
	}
	files := []File{
		{Name: "pass.json", Data: passJSON},
		{Name: "icon.png", Data: testPNG(t, 29, 29)},
		{Name: "icon@2x.png", Data: testPNG(t, 58, 58)},
		{Name: "logo@3x.png", Data: testPNG(t, 150, 50)},
	}
	var fs fakeSign
	out, err := Bundle(files, fs.sign)
	if err != nil {
		t.Fatal(err)
	}
	entries := unzip(t, out)
	if len(entries) != len(files)+2 {
		t.Errorf("zip has %d entries, want %d", len(entries), len(files)+2)
	}

	manifestFile, ok := entries["manifest.json"]
	if !ok {
		t.Fatal("no manifest.json")
	}
	manifestBytes := readZipFile(t, manifestFile)
	if !bytes.Equal(manifestBytes, fs.got) {
		t.Errorf("sign got %s, zip holds manifest %s", fs.got, manifestBytes)
	}
	var manifest map[string]string
	if err := json.Unmarshal(manifestBytes, &manifest); err != nil {
		t.Fatalf("manifest is not a JSON object: %v", err)
	}
	if len(manifest) != len(files) {
		t.Errorf("manifest lists %d files, want %d: %v", len(manifest), len(files), manifest)
	}
	for _, f := range files {
		sum := sha1.Sum(f.Data)
		if manifest[f.Name] != hex.EncodeToString(sum[:]) {
			t.Errorf("manifest[%s] = %q, want SHA-1 of the file", f.Name, manifest[f.Name])
		}
		ze, ok := entries[f.Name]
		if !ok {
			t.Errorf("%s missing from zip", f.Name)
			continue
		}
		if got := readZipFile(t, ze); !bytes.Equal(got, f.Data) {
			t.Errorf("%s content differs", f.Name)
		}
		if ze.Method != zip.Store {
			t.Errorf("%s method %d, want Store", f.Name, ze.Method)
		}
	}
	sig, ok := entries["signature"]
	if !ok {
		t.Fatal("no signature")
	}
	wantSig, _ := (&fakeSign{}).sign(manifestBytes)
	if got := readZipFile(t, sig); !bytes.Equal(got, wantSig) {
		t.Errorf("signature = %q, want %q", got, wantSig)
	}

	again, err := Bundle(files, fs.sign)
	if err != nil || !bytes.Equal(again, out) {
		t.Errorf("Bundle is not deterministic (err %v)", err)
	}
}

func TestBundleErrors(t *testing.T) {
	okSign := func([]byte) ([]byte, error) { return []byte("sig"), nil }
	errSign := errors.New("hsm unavailable")
	tests := []struct {
		name  string
		files []File
		sign  func([]byte) ([]byte, error)
		is    error
	}{
		{"sign fails", []File{{Name: "pass.json", Data: []byte("{}")}}, func([]byte) ([]byte, error) { return nil, errSign }, errSign},
		{"duplicate name", []File{{Name: "pass.json", Data: []byte("{}")}, {Name: "pass.json", Data: []byte("{}")}}, okSign, nil},
		{"reserved manifest", []File{{Name: "manifest.json", Data: []byte("{}")}}, okSign, nil},
		{"reserved signature", []File{{Name: "signature", Data: []byte("x")}}, okSign, nil},
		{"empty name", []File{{Name: "", Data: []byte("x")}}, okSign, nil},
		{"absolute name", []File{{Name: "/etc/passwd", Data: []byte("x")}}, okSign, nil},
		{"parent name", []File{{Name: "../x.png", Data: []byte("x")}}, okSign, nil},
		{"nested parent name", []File{{Name: "en.lproj/../../x", Data: []byte("x")}}, okSign, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Bundle(tc.files, tc.sign)
			if err == nil {
				t.Fatal("Bundle succeeded")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v does not wrap %v", err, tc.is)
			}
		})
	}
}

// TestBundlePrecomputedSums: digests given with a file are used as given
// (the manifest shows them), so callers can hash cached images once.
func TestBundlePrecomputedSums(t *testing.T) {
	data := []byte("cached image bytes")
	sums := &Sums{SHA1: sha1.Sum(data), CRC32: crc32.ChecksumIEEE(data)}
	var fs fakeSign
	with, err := Bundle([]File{{Name: "pass.json", Data: []byte("{}")}, {Name: "icon.png", Data: data, Sums: sums}}, fs.sign)
	if err != nil {
		t.Fatal(err)
	}
	without, err := Bundle([]File{{Name: "pass.json", Data: []byte("{}")}, {Name: "icon.png", Data: data}}, fs.sign)
	if err != nil || !bytes.Equal(with, without) {
		t.Fatalf("precomputed sums changed the bundle (err %v)", err)
	}
	wrong := &Sums{CRC32: 1}
	out, err := Bundle([]File{{Name: "icon.png", Data: data, Sums: wrong}}, fs.sign)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(fs.got, []byte(`"icon.png":"0000000000000000000000000000000000000000"`)) {
		t.Errorf("manifest did not use the given SHA-1: %s", fs.got)
	}
	if _, err := zip.NewReader(bytes.NewReader(out), int64(len(out))); err != nil {
		t.Fatal(err)
	}
}
