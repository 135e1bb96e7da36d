package lint

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"strings"
	"testing"
)

// goZip writes files with archive/zip's ordinary streaming API, which sets
// the data-descriptor flag on every entry.
func goZip(t *testing.T, method uint16, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"a.txt", "b.txt"} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[name]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawZip writes stored entries with CRC and sizes in the local header.
func rawZip(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"a.txt", "b.txt"} {
		data := []byte(files[name])
		w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store,
			CRC32: crc(data), CompressedSize64: uint64(len(data)), UncompressedSize64: uint64(len(data))})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadZip(t *testing.T) {
	files := map[string]string{"a.txt": "hello, wallet", "b.txt": strings.Repeat("pass ", 200)}
	good := rawZip(t, files)
	badCRC := bytes.Clone(good)
	binary.LittleEndian.PutUint32(badCRC[14:], 0xdeadbeef) // first local header's CRC
	badCount := bytes.Clone(good)
	binary.LittleEndian.PutUint16(badCount[len(badCount)-12:], 3) // end record: entries on this disk
	tests := []struct {
		name string
		zip  []byte
		err  string // "" = readable
	}{
		{"stored, sizes in local header", good, ""},
		{"deflated with data descriptor", goZip(t, zip.Deflate, files), ""},
		{"stored with data descriptor", goZip(t, zip.Store, files), "a.txt is stored with a data descriptor (flag bit 3)"},
		{"wrong CRC", badCRC, "a.txt: CRC-32 is"},
		{"truncated", good[:40], "data runs past the end"},
		{"no central directory", good[:len(good)-100], "central directory entry"},
		{"end record count", badCount, "end record counts 3 entries"},
		{"not a zip", []byte("{\"formatVersion\": 1}"), "not a zip archive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			entries, err := ReadZip(tc.zip)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(entries) != 2 || string(entries[0].Data) != files["a.txt"] || string(entries[1].Data) != files["b.txt"] {
					t.Fatalf("entries = %+v", entries)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.err)
			}
		})
	}
}

func crc(b []byte) uint32 { return crc32.ChecksumIEEE(b) }
