//lint:file-ignore SA1019 the reference archive is written with the fixed MS-DOS date through ModifiedDate/ModifiedTime, as Bundle's entries carry it.

package pkpass

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"hash/crc32"
	"sort"
	"strings"
	"testing"
)

// TestWriteZipMatchesArchiveZip: the hand-written archive is byte for byte
// what archive/zip writes with CreateRaw for the same stored entries, the
// CRC and sizes in the local header and a fixed 1980-01-01 date.
func TestWriteZipMatchesArchiveZip(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []zipEntry
	}{
		{"none", nil},
		{"one empty file", []zipEntry{{"pass.json", nil, 0}}},
		{"a pass", []zipEntry{
			{"pass.json", []byte(`{"formatVersion":1}`), 0},
			{"icon@2x.png", bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 5000), 0},
			{"de.lproj/pass.strings", []byte(`"a" = "b";`), 0},
			{"manifest.json", []byte(`{}`), 0},
			{"signature", make([]byte, 2574), 0},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := referenceZip(t, tc.entries)
			got := writeZip(tc.entries)
			if !bytes.Equal(got, want) {
				t.Errorf("writeZip differs from archive/zip:\n got %x\nwant %x", got, want)
			}
			if len(got) != cap(got) {
				t.Errorf("buffer of %d bytes for a %d-byte archive", cap(got), len(got))
			}
		})
	}
}

// referenceZip is what archive/zip's CreateRaw writes for entries (their
// CRCs are filled in).
func referenceZip(t *testing.T, entries []zipEntry) []byte {
	t.Helper()
	var want bytes.Buffer
	zw := zip.NewWriter(&want)
	for i := range entries {
		e := &entries[i]
		e.crc32 = crc32.ChecksumIEEE(e.data)
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name: e.name, Method: zip.Store, CreatorVersion: zipVersion, ReaderVersion: zipVersion,
			ModifiedDate: zipDate, ModifiedTime: zipTime, CRC32: e.crc32,
			CompressedSize64: uint64(len(e.data)), UncompressedSize64: uint64(len(e.data)),
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return want.Bytes()
}

// TestWriteZipIntoRecycledBuffer: a large archive given back with Recycle
// is written into by the next archive of its size class that fits, and
// every archive is still archive/zip's bytes; one that does not fit gets new
// memory; with CheckRecycled a given-back archive is overwritten and never
// reused.
func TestWriteZipIntoRecycledBuffer(t *testing.T) {
	pass := func(fill byte, size int) []zipEntry {
		return []zipEntry{
			{"pass.json", []byte(`{"formatVersion":1}`), 0},
			{"artwork@3x.png", bytes.Repeat([]byte{fill}, size), 0},
			{"manifest.json", []byte(`{}`), 0},
			{"signature", make([]byte, 2574), 0},
		}
	}
	check := func(e []zipEntry) []byte {
		t.Helper()
		want := referenceZip(t, e)
		got := writeZip(e)
		if !bytes.Equal(got, want) {
			t.Fatalf("writeZip of %d bytes differs from archive/zip", len(want))
		}
		return got
	}
	// A sync.Pool may drop what it is given (at random under the race
	// detector), so reuse is asked for more than once.
	first := check(pass('a', 700_000))
	reused := false
	for range 20 {
		Recycle(first)
		second := check(pass('b', 699_000))
		if reused = &second[0] == &first[0]; reused {
			break
		}
		first = second
	}
	if !reused {
		t.Fatal("an archive of the same size class never reused a given-back buffer")
	}
	Recycle(first)
	// Same power of two (512 KiB–1 MiB) but larger than the buffer: new memory.
	third := check(pass('c', 1_000_000))
	if &third[0] == &first[0] {
		t.Fatal("an archive larger than the buffer was written into it")
	}
	small := check(pass('d', 10_000))
	Recycle(small) // below the pools: ignored
	if again := check(pass('e', 10_000)); &again[0] == &small[0] {
		t.Fatal("a small archive was recycled")
	}

	CheckRecycled()
	defer checkRecycled.Store(false)
	fourth := check(pass('f', 700_000))
	Recycle(fourth)
	for i, c := range fourth[:cap(fourth)] {
		if c != 0xdb {
			t.Fatalf("byte %d of a given-back archive is %#x, want it overwritten", i, c)
		}
	}
	if fifth := check(pass('g', 700_000)); &fifth[0] == &fourth[0] {
		t.Fatal("a given-back archive was reused under CheckRecycled")
	}
}

// TestManifestMatchesJSONMarshal: the manifest is what json.Marshal writes
// for the map of name → hex SHA-1, names needing escapes included.
func TestManifestMatchesJSONMarshal(t *testing.T) {
	files := []File{
		{Name: "pass.json", Data: []byte("{}")},
		{Name: "icon.png", Data: []byte("png")},
		{Name: "zh-Hans.lproj/pass.strings", Data: []byte("s")},
		{Name: "a<b>&\"c\\.png", Data: []byte("odd")},
		{Name: "é.png", Data: []byte("utf8")},
		{Name: "@3x.png", Data: nil},
	}
	sums := make([]Sums, len(files))
	m := map[string]string{}
	names := make([]int, len(files))
	for i, f := range files {
		sums[i] = f.sums()
		names[i] = i
		h := sha1.Sum(f.Data)
		m[f.Name] = strings.ToLower(string(hexOf(h[:])))
	}
	sort.Slice(names, func(a, b int) bool { return files[names[a]].Name < files[names[b]].Name })
	want, _ := json.Marshal(m)
	if got := manifest(files, sums, names); !bytes.Equal(got, want) {
		t.Errorf("manifest\n got %s\nwant %s", got, want)
	}
}

func hexOf(b []byte) []byte {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return out
}
