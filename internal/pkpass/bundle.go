//lint:file-ignore SA1019 entries carry a fixed MS-DOS date through ModifiedDate/ModifiedTime on purpose: their replacement, Modified, would add an extended-timestamp field to every entry.

package pkpass

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"strings"
	"sync"
)

// File is one file of a pass bundle, e.g. pass.json or logo@2x.png.
type File struct {
	Name string
	Data []byte
	// Sums, when set, are Data's SHA-1 and CRC-32 computed earlier (a cached
	// image's); they must match Data. nil computes them here.
	Sums *Sums
}

// Sums are the two digests a bundle needs of each file.
type Sums struct {
	SHA1  [sha1.Size]byte
	CRC32 uint32
}

func (f *File) sums() Sums {
	if f.Sums != nil {
		return *f.Sums
	}
	return Sums{SHA1: sha1.Sum(f.Data), CRC32: crc32.ChecksumIEEE(f.Data)}
}

// Every entry carries the same MS-DOS modification time, 1980-01-01 00:00
// (the format's epoch), so equal inputs give byte-identical bundles
// (cacheable, comparable in tests). CreateRaw writes these fields as given.
const (
	zipDate = 0<<9 | 1<<5 | 1 // years since 1980, month, day
	zipTime = 0
	// zipVersion is 2.0, the version that introduced stored and deflated
	// entries; readers check it against what they support.
	zipVersion = 20
)

// Bundle writes manifest.json (file name → lowercase hex SHA-1 of its bytes,
// for every file), calls sign(manifest) for the detached signature, and
// returns the zip of the files, manifest.json and signature.
//
// Every entry is stored, not deflated. PNGs are already compressed, so
// deflate costs time and saves nothing. For the JSON files deflate saves about
// 1 KB a pass, but in a profile of the whole POST path it was ~5 % of the
// server's CPU (BenchmarkBundleJSON: ~6 µs stored vs ~70 µs deflated), which
// is a lot next to the one RSA signature a pass needs; a kilobyte per download
// is not worth that.
func Bundle(files []File, sign func(manifest []byte) ([]byte, error)) ([]byte, error) {
	manifest := make(map[string]string, len(files))
	sums := make([]Sums, len(files))
	for i := range files {
		f := &files[i]
		if err := checkName(f.Name); err != nil {
			return nil, err
		}
		if _, dup := manifest[f.Name]; dup {
			return nil, fmt.Errorf("pkpass: Bundle: duplicate file %q", f.Name)
		}
		sums[i] = f.sums()
		manifest[f.Name] = hex.EncodeToString(sums[i].SHA1[:])
	}
	// encoding/json writes map keys sorted: the manifest is deterministic.
	manifestJSON, err := json.Marshal(manifest)
	if err != nil {
		return nil, fmt.Errorf("pkpass: Bundle: manifest: %w", err)
	}
	sig, err := sign(manifestJSON)
	if err != nil {
		return nil, fmt.Errorf("pkpass: Bundle: sign: %w", err)
	}

	size := len(manifestJSON) + len(sig) + 512
	for _, f := range files {
		size += len(f.Data) + 128
	}
	buf := bundleBufs.Get().(*bytes.Buffer)
	defer bundleBufs.Put(buf)
	buf.Reset()
	buf.Grow(size)
	zw := zip.NewWriter(buf)
	// CreateRaw with the CRC and sizes known up front puts them in the local
	// header and writes no data descriptor (general-purpose flag bit 3).
	// CreateHeader would always set that flag, and java.util.zip's streaming
	// reader (what Android wallet apps use) refuses a descriptor on a stored
	// entry: it cannot find where stored data ends without the sizes.
	add := func(name string, data []byte, crc uint32) error {
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name:               name,
			Method:             zip.Store,
			CreatorVersion:     zipVersion,
			ReaderVersion:      zipVersion,
			ModifiedDate:       zipDate,
			ModifiedTime:       zipTime,
			CRC32:              crc,
			CompressedSize64:   uint64(len(data)),
			UncompressedSize64: uint64(len(data)),
		})
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	for i, f := range files {
		if err := add(f.Name, f.Data, sums[i].CRC32); err != nil {
			return nil, fmt.Errorf("pkpass: Bundle: %s: %w", f.Name, err)
		}
	}
	if err := add("manifest.json", manifestJSON, crc32.ChecksumIEEE(manifestJSON)); err != nil {
		return nil, fmt.Errorf("pkpass: Bundle: manifest.json: %w", err)
	}
	if err := add("signature", sig, crc32.ChecksumIEEE(sig)); err != nil {
		return nil, fmt.Errorf("pkpass: Bundle: signature: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("pkpass: Bundle: %w", err)
	}
	// The copy is the caller's; the pooled buffer keeps its pages for the
	// next bundle. A fresh buffer per pass cost its zeroing and page faults:
	// BenchmarkBuildPoster used 20 % less CPU per pass with the pool (three
	// alternating runs each, BENCHMARKS.md).
	return append([]byte(nil), buf.Bytes()...), nil
}

// bundleBufs are zip buffers reused across bundles.
var bundleBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// checkName refuses names that would collide with the bundle's own files or
// escape the archive root when unpacked.
func checkName(name string) error {
	switch {
	case name == "" || name == "manifest.json" || name == "signature":
		return fmt.Errorf("pkpass: Bundle: reserved or empty file name %q", name)
	case strings.HasPrefix(name, "/") || strings.Contains(name, "\\") ||
		name == ".." || strings.HasPrefix(name, "../") || strings.Contains(name, "/../") || strings.HasSuffix(name, "/.."):
		return fmt.Errorf("pkpass: Bundle: unsafe file name %q", name)
	}
	return nil
}
