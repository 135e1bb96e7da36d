// Package lint checks a finished .pkpass the way a strict consumer would:
// the zip read as a stream, the manifest and signature, pass.json's keys,
// and the images each slot and style needs. It is written from the
// published formats (PKWARE's APPNOTE, Apple's PassKit reference), not from
// the code that makes our passes, so it can catch that code's mistakes.
package lint

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// ZipEntry is one file of an archive read as a stream.
type ZipEntry struct {
	Name   string
	Method uint16
	Flags  uint16
	Data   []byte // uncompressed
}

// Signatures and the general-purpose flag bits of APPNOTE 6.3.x, 4.3.7 and 4.4.4.
const (
	sigLocal   = 0x04034b50
	sigCentral = 0x02014b50
	sigEnd     = 0x06054b50
	sigDesc    = 0x08074b50 // optional before a data descriptor

	flagEncrypted  = 1 << 0
	flagDescriptor = 1 << 3

	methodStore   = 0
	methodDeflate = 8

	maxEntryBytes = 64 << 20 // a pass is a few MiB; more is a zip bomb
)

// ReadZip reads an archive front to back the way a streaming reader must
// (java.util.zip.ZipInputStream on Android, for one): local header, data,
// next local header, with no help from the central directory. A stored
// entry must therefore carry its CRC and sizes in the local header; a data
// descriptor (flag bit 3) on it is an error, because a streaming reader has
// no way to find where stored data ends. It then checks that the central
// directory lists the same entries with the same CRCs, sizes and offsets.
func ReadZip(b []byte) ([]ZipEntry, error) {
	type local struct {
		offset         int
		crc, csize, us uint32
		flags, method  uint16
		name           string
	}
	var (
		entries []ZipEntry
		locals  []local
		pos     int
	)
	for pos+4 <= len(b) && le32(b[pos:]) == sigLocal {
		if pos+30 > len(b) {
			return nil, fmt.Errorf("zip: local header at %d is truncated", pos)
		}
		h := b[pos:]
		l := local{
			offset: pos,
			flags:  le16(h[6:]),
			method: le16(h[8:]),
			crc:    le32(h[14:]),
			csize:  le32(h[18:]),
			us:     le32(h[22:]),
		}
		nameLen, extraLen := int(le16(h[26:])), int(le16(h[28:]))
		start := pos + 30 + nameLen + extraLen
		if start > len(b) {
			return nil, fmt.Errorf("zip: local header at %d is truncated", pos)
		}
		l.name = string(h[30 : 30+nameLen])
		if l.flags&flagEncrypted != 0 {
			return nil, fmt.Errorf("zip: %s is encrypted", l.name)
		}
		var data []byte
		switch l.method {
		case methodStore:
			if l.flags&flagDescriptor != 0 {
				return nil, fmt.Errorf("zip: %s is stored with a data descriptor (flag bit 3): a streaming reader cannot find its end", l.name)
			}
			if l.csize != l.us {
				return nil, fmt.Errorf("zip: %s is stored but its sizes differ (%d compressed, %d uncompressed)", l.name, l.csize, l.us)
			}
			end := start + int(l.csize)
			if l.csize > maxEntryBytes || end > len(b) {
				return nil, fmt.Errorf("zip: %s: data runs past the end of the archive", l.name)
			}
			data = b[start:end]
			pos = end
		case methodDeflate:
			r := bytes.NewReader(b[start:])
			// bytes.Reader is an io.ByteReader, so flate reads no further
			// than the end of the compressed stream and r's offset marks it.
			out, err := io.ReadAll(io.LimitReader(flate.NewReader(r), maxEntryBytes+1))
			if err != nil {
				return nil, fmt.Errorf("zip: %s: %v", l.name, err)
			}
			if len(out) > maxEntryBytes {
				return nil, fmt.Errorf("zip: %s inflates to more than %d bytes", l.name, maxEntryBytes)
			}
			data = out
			compLen := int(r.Size()) - r.Len()
			pos = start + compLen
			if l.flags&flagDescriptor != 0 {
				// APPNOTE 4.3.9: crc, compressed size, uncompressed size,
				// optionally preceded by a signature.
				if pos+4 <= len(b) && le32(b[pos:]) == sigDesc {
					pos += 4
				}
				if pos+12 > len(b) {
					return nil, fmt.Errorf("zip: %s: data descriptor is truncated", l.name)
				}
				l.crc, l.csize, l.us = le32(b[pos:]), le32(b[pos+4:]), le32(b[pos+8:])
				pos += 12
			}
			if int(l.csize) != compLen {
				return nil, fmt.Errorf("zip: %s: header says %d compressed bytes, the stream has %d", l.name, l.csize, compLen)
			}
		default:
			return nil, fmt.Errorf("zip: %s uses compression method %d (only stored and deflated are readable everywhere)", l.name, l.method)
		}
		if uint32(len(data)) != l.us {
			return nil, fmt.Errorf("zip: %s: header says %d bytes, data has %d", l.name, l.us, len(data))
		}
		if got := crc32.ChecksumIEEE(data); got != l.crc {
			return nil, fmt.Errorf("zip: %s: CRC-32 is %08x, header says %08x", l.name, got, l.crc)
		}
		locals = append(locals, l)
		entries = append(entries, ZipEntry{Name: l.name, Method: l.method, Flags: l.flags, Data: data})
	}
	if len(entries) == 0 {
		return nil, errors.New("zip: no local file header at the start: not a zip archive")
	}
	// The central directory follows the last entry.
	for i, l := range locals {
		if pos+46 > len(b) || le32(b[pos:]) != sigCentral {
			return nil, fmt.Errorf("zip: central directory entry %d (%s) is missing at %d", i, l.name, pos)
		}
		c := b[pos:]
		nameLen, extraLen, commentLen := int(le16(c[28:])), int(le16(c[30:])), int(le16(c[32:]))
		if pos+46+nameLen > len(b) {
			return nil, fmt.Errorf("zip: central directory entry %d is truncated", i)
		}
		name := string(c[46 : 46+nameLen])
		switch {
		case name != l.name:
			return nil, fmt.Errorf("zip: central directory entry %d names %q, the local header %q", i, name, l.name)
		case int(le32(c[42:])) != l.offset:
			return nil, fmt.Errorf("zip: central directory puts %s at %d, it is at %d", name, le32(c[42:]), l.offset)
		case le16(c[10:]) != l.method, le32(c[16:]) != l.crc, le32(c[20:]) != l.csize, le32(c[24:]) != l.us:
			return nil, fmt.Errorf("zip: central directory and local header disagree on %s", name)
		}
		pos += 46 + nameLen + extraLen + commentLen
	}
	if pos+22 > len(b) || le32(b[pos:]) != sigEnd {
		return nil, fmt.Errorf("zip: central directory has more entries than the archive, or no end record")
	}
	if n := int(le16(b[pos+10:])); n != len(locals) {
		return nil, fmt.Errorf("zip: end record counts %d entries, the archive has %d", n, len(locals))
	}
	return entries, nil
}

func le16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }
