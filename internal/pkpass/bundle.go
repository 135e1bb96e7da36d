package pkpass

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"slices"
	"strings"
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
	sums := make([]Sums, len(files))
	names := make([]int, len(files)) // indexes of files, in name order
	for i := range files {
		f := &files[i]
		if err := checkName(f.Name); err != nil {
			return nil, err
		}
		sums[i] = f.sums()
		names[i] = i
	}
	slices.SortFunc(names, func(a, b int) int { return strings.Compare(files[a].Name, files[b].Name) })
	for k := 1; k < len(names); k++ {
		if files[names[k]].Name == files[names[k-1]].Name {
			return nil, fmt.Errorf("pkpass: Bundle: duplicate file %q", files[names[k]].Name)
		}
	}
	manifestJSON := manifest(files, sums, names)
	sig, err := sign(manifestJSON)
	if err != nil {
		return nil, fmt.Errorf("pkpass: Bundle: sign: %w", err)
	}
	entries := make([]zipEntry, 0, len(files)+2)
	for i, f := range files {
		entries = append(entries, zipEntry{f.Name, f.Data, sums[i].CRC32})
	}
	entries = append(entries,
		zipEntry{"manifest.json", manifestJSON, crc32.ChecksumIEEE(manifestJSON)},
		zipEntry{"signature", sig, crc32.ChecksumIEEE(sig)})
	return writeZip(entries), nil
}

// manifest is the JSON object of file name → lowercase hex SHA-1, keys
// sorted (names lists the files in name order): what json.Marshal writes for
// the same map, without building the map or reflecting over it.
func manifest(files []File, sums []Sums, names []int) []byte {
	size := 2
	for _, i := range names {
		size += len(files[i].Name) + 2*sha1.Size + 6
	}
	b := make([]byte, 0, size)
	b = append(b, '{')
	for k, i := range names {
		if k > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, files[i].Name)
		b = append(b, ':', '"')
		b = hex.AppendEncode(b, sums[i].SHA1[:])
		b = append(b, '"')
	}
	return append(b, '}')
}

// appendJSONString appends s quoted as encoding/json quotes it. File names
// are plain ASCII in practice (slots, "xx.lproj/pass.strings"); anything
// else goes through encoding/json for its escaping rules.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// zipEntry is one stored file of the archive.
type zipEntry struct {
	name  string
	data  []byte
	crc32 uint32
}

// ZIP record sizes without their variable parts (APPNOTE 4.3.7, 4.3.12, 4.3.16).
const (
	zipLocalHeaderLen = 30
	zipDirHeaderLen   = 46
	zipEndLen         = 22
)

// writeZip writes the archive of stored entries into one buffer of exactly
// its size: every file's bytes are copied once, and nothing is zipped to a
// growing buffer and copied again (for a 650 KB poster ticket that copy and
// its allocation were most of the bundle's cost). The headers are written
// into one small buffer first and the archive is then joined from them and
// the files' bytes with bytes.Join, whose result the runtime does not
// zero before it is overwritten (a fresh make would clear the 650 KB first),
// or, for a large archive, into a buffer given back with Recycle.
// The bytes are those archive/zip's CreateRaw writes for these headers
// (TestWriteZipMatchesArchiveZip): the CRC and sizes in the local header
// and no data descriptor, so streaming readers such as
// java.util.zip.ZipInputStream (what Android wallet apps use) can find
// where each stored entry ends.
func writeZip(entries []zipEntry) []byte {
	headers := zipEndLen
	for _, e := range entries {
		headers += zipLocalHeaderLen + zipDirHeaderLen + 2*len(e.name)
	}
	// h never grows past its capacity, so the pieces cut from it stay valid.
	h := make([]byte, 0, headers)
	pieces := make([][]byte, 0, 2*len(entries)+1)
	offsets := make([]uint32, len(entries))
	off := 0
	for i, e := range entries {
		offsets[i] = uint32(off)
		start := len(h)
		h = le32(h, 0x04034b50) // local file header signature
		h = le16(h, zipVersion) // version needed to extract
		h = le16(h, 0)          // flags: no data descriptor
		h = le16(h, 0)          // method: stored
		h = le16(h, zipTime)
		h = le16(h, zipDate)
		h = le32(h, e.crc32)
		h = le32(h, uint32(len(e.data))) // compressed size
		h = le32(h, uint32(len(e.data))) // uncompressed size
		h = le16(h, uint16(len(e.name)))
		h = le16(h, 0) // extra field length
		h = append(h, e.name...)
		pieces = append(pieces, h[start:], e.data)
		off += len(h) - start + len(e.data)
	}
	dir, dirStart := off, len(h)
	for i, e := range entries {
		h = le32(h, 0x02014b50) // central directory header signature
		h = le16(h, zipVersion) // version made by
		h = le16(h, zipVersion) // version needed to extract
		h = le16(h, 0)          // flags
		h = le16(h, 0)          // method
		h = le16(h, zipTime)
		h = le16(h, zipDate)
		h = le32(h, e.crc32)
		h = le32(h, uint32(len(e.data)))
		h = le32(h, uint32(len(e.data)))
		h = le16(h, uint16(len(e.name)))
		h = le16(h, 0) // extra field length
		h = le16(h, 0) // comment length
		h = le16(h, 0) // disk number start
		h = le16(h, 0) // internal attributes
		h = le32(h, 0) // external attributes
		h = le32(h, offsets[i])
		h = append(h, e.name...)
	}
	dirSize := uint32(len(h) - dirStart)
	h = le32(h, 0x06054b50) // end of central directory signature
	h = le16(h, 0)          // this disk
	h = le16(h, 0)          // disk with the directory
	h = le16(h, uint16(len(entries)))
	h = le16(h, uint16(len(entries)))
	h = le32(h, dirSize)
	h = le32(h, uint32(dir)) // directory offset
	h = le16(h, 0)           // comment length
	if len(entries) == 0 {
		return h // bytes.Join would copy one piece into a rounded-up buffer
	}
	pieces = append(pieces, h[dirStart:])
	size := 0
	for _, p := range pieces {
		size += len(p)
	}
	out := archiveBuffer(size) // a recycled buffer (see Recycle)
	if out == nil {
		return bytes.Join(pieces, nil)
	}
	n := 0
	for _, p := range pieces {
		n += copy(out[n:], p)
	}
	return out
}

func le16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func le32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }

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
