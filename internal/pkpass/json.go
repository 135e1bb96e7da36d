package pkpass

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/walletwallet/walletwallet"
)

// maxDepth bounds nesting so a hostile body cannot drive deep recursion; the
// request schema itself never nests deeper than three levels.
const maxDepth = 32

// The largest valid request holds about 7,000 JSON values (20 localizations
// of 200 strings, a 4 KiB userInfo, everything else at its limit) and no
// container with more than 2,047 children. Beyond these bounds the parser still checks syntax but stops
// building the tree, so a hostile 1 MiB body cannot cost tens of megabytes.
// Such a body is always invalid, and the stored prefix is enough to say why.
const (
	maxChildren = 2048 // children stored per array or object (a 4 KiB userInfo array)
	maxValues   = 8192 // values stored per body (20 localizations of 200 strings)
)

type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

// value is a decoded JSON value. Numbers keep their literal text so that
// canonical encoding and integer checks see exactly what the client sent.
type value struct {
	kind kind
	str  string // string contents, or the number literal
	b    bool
	arr  []value
	obj  []member // in document order
}

type member struct {
	key string
	val value
}

func (k kind) String() string {
	switch k {
	case kindNull:
		return "null"
	case kindBool:
		return "boolean"
	case kindNumber:
		return "number"
	case kindString:
		return "string"
	case kindArray:
		return "array"
	}
	return "object"
}

// pathElem is one step of the path to the value being parsed; it is only
// formatted when an error needs it.
type pathElem struct {
	key   string
	index int
	isIdx bool
}

func formatPath(p []pathElem) string {
	var sb strings.Builder
	for i, e := range p {
		if e.isIdx {
			sb.WriteByte('[')
			sb.WriteString(strconv.Itoa(e.index))
			sb.WriteByte(']')
			continue
		}
		if i > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(e.key)
	}
	return sb.String()
}

type parser struct {
	data  []byte
	str   string // data as a string
	pos   int
	depth int
	path  []pathElem
	// dup is the path of the first duplicate key. Parsing continues after it
	// so that a syntax error later in the body still wins: it is the more
	// fundamental problem.
	dup string
	// stored counts tree values; truncated records that some were dropped.
	stored    int
	truncated bool
	// members and elems are stacks the containers being parsed collect
	// their children on; each container then takes an exactly sized copy,
	// instead of growing its own slice by doubling.
	members []member
	elems   []value
	// memberArena and elemArena hold the finished containers' children:
	// each container's slice is cut from the current chunk, so a body
	// costs a few chunk allocations instead of one per object and array
	// (a poster ticket has about 60 containers).
	memberArena []member
	elemArena   []value
}

// A chunk holds this many children (more for a bigger container): a
// poster ticket's ~100 members and ~20 elements take two chunks and one.
// Chunks do not double: a growing chunk size wasted more than it saved.
const (
	memberChunk = 64
	elemChunk   = 32
)

// takeMembers moves a finished object's members into the arena and returns
// them as a slice of exactly their length and capacity (so no append
// through one container can reach its neighbour's children).
func (p *parser) takeMembers(ms []member) []member {
	if cap(p.memberArena)-len(p.memberArena) < len(ms) {
		p.memberArena = make([]member, 0, max(len(ms), memberChunk))
	}
	start := len(p.memberArena)
	p.memberArena = append(p.memberArena, ms...)
	return p.memberArena[start:len(p.memberArena):len(p.memberArena)]
}

// takeElems is takeMembers for an array's elements.
func (p *parser) takeElems(es []value) []value {
	if cap(p.elemArena)-len(p.elemArena) < len(es) {
		p.elemArena = make([]value, 0, max(len(es), elemChunk))
	}
	start := len(p.elemArena)
	p.elemArena = append(p.elemArena, es...)
	return p.elemArena[start:len(p.elemArena):len(p.elemArena)]
}

// keep reports whether a new child of a container with n children is stored.
func (p *parser) keep(n int) bool {
	if n >= maxChildren || p.stored >= maxValues {
		p.truncated = true
		return false
	}
	p.stored++
	return true
}

type syntaxError struct {
	msg string
	off int
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%s at offset %d", e.msg, e.off) }

// decodeStrict parses body as exactly one JSON value, rejecting everything
// RFC 8259 rejects plus invalid UTF-8, duplicate keys, lone surrogate escapes
// and trailing data. Errors are client errors (*walletwallet.Error).
// truncated reports that the tree lacks values beyond maxChildren/maxValues.
func decodeStrict(body []byte) (v value, truncated bool, err error) {
	v, p, err := decodeTree(body)
	if err != nil {
		return value{}, false, err
	}
	return v, p.truncated, nil
}

// scratch is a parser's working stacks, kept between bodies: they are
// copied out of (into the arenas) and emptied before a parse returns, so
// only the capacity is reused, and grown stacks no longer cost a body
// several allocations.
type scratch struct {
	members []member
	elems   []value
	path    []pathElem
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func decodeTree(body []byte) (value, *parser, error) {
	if !utf8.Valid(body) {
		return value{}, nil, invalid("request body is not valid UTF-8")
	}
	// One string of the whole body: every string without escapes is then
	// a substring of it instead of an allocation of its own (a poster
	// ticket has about 120). The decoded request's strings keep the body's
	// bytes alive for as long as the request lives, no more than it holds.
	p := &parser{data: body, str: string(body)}
	sc := scratchPool.Get().(*scratch)
	p.members, p.elems, p.path = sc.members[:0], sc.elems[:0], sc.path[:0]
	defer func() {
		// An error leaves children on the stacks; none may stay reachable
		// from the pool (they point into a body).
		clear(p.members[:cap(p.members)])
		clear(p.elems[:cap(p.elems)])
		clear(p.path[:cap(p.path)])
		sc.members, sc.elems, sc.path = p.members[:0], p.elems[:0], p.path[:0]
		p.members, p.elems, p.path = nil, nil, nil
		scratchPool.Put(sc)
	}()
	p.skipWS()
	v, err := p.parseValue()
	if err != nil {
		return value{}, p, err
	}
	p.skipWS()
	if p.pos != len(p.data) {
		return value{}, p, invalid("unexpected data after the JSON object")
	}
	if p.dup != "" {
		return value{}, p, invalid("duplicate field %q", p.dup)
	}
	return v, p, nil
}

func invalid(format string, args ...any) error {
	return walletwallet.Errorf(walletwallet.EINVALID, format, args...)
}

func (p *parser) malformed(msg string) error {
	return invalid("malformed JSON: %s", (&syntaxError{msg: msg, off: p.pos}).Error())
}

func (p *parser) unexpected() error {
	if p.pos >= len(p.data) {
		return p.malformed("unexpected end of input")
	}
	r, _ := utf8.DecodeRune(p.data[p.pos:])
	return p.malformed(fmt.Sprintf("unexpected character %q", r))
}

func (p *parser) skipWS() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) parseValue() (value, error) {
	if p.pos >= len(p.data) {
		return value{}, p.unexpected()
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.parseObject()
	case c == '[':
		return p.parseArray()
	case c == '"':
		s, err := p.parseString()
		return value{kind: kindString, str: s}, err
	case c == 't':
		return value{kind: kindBool, b: true}, p.literal("true")
	case c == 'f':
		return value{kind: kindBool}, p.literal("false")
	case c == 'n':
		return value{kind: kindNull}, p.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return p.parseNumber()
	}
	return value{}, p.unexpected()
}

func (p *parser) literal(word string) error {
	if !bytes.HasPrefix(p.data[p.pos:], []byte(word)) {
		// Point at the first byte that differs.
		for i := 0; i < len(word) && p.pos < len(p.data) && p.data[p.pos] == word[i]; i++ {
			p.pos++
		}
		return p.unexpected()
	}
	p.pos += len(word)
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return invalid("request body nests deeper than %d levels", maxDepth)
	}
	return nil
}

func (p *parser) parseObject() (value, error) {
	if err := p.enter(); err != nil {
		return value{}, err
	}
	p.pos++ // '{'
	v := value{kind: kindObject}
	p.skipWS()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		p.depth--
		return v, nil
	}
	base := len(p.members)
	for {
		p.skipWS()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return value{}, p.unexpected()
		}
		key, err := p.parseString()
		if err != nil {
			return value{}, err
		}
		// Only stored members are checked for duplicates: an object too big
		// to store has unknown fields, which is reported instead.
		store := p.keep(len(p.members) - base)
		if store && p.dup == "" && hasKey(p.members[base:], key) {
			p.dup = formatPath(append(p.path, pathElem{key: key}))
		}
		p.skipWS()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return value{}, p.unexpected()
		}
		p.pos++
		p.skipWS()
		p.path = append(p.path, pathElem{key: key})
		mv, err := p.parseValue()
		if err != nil {
			return value{}, err
		}
		p.path = p.path[:len(p.path)-1]
		if store {
			p.members = append(p.members, member{key: key, val: mv})
		}
		p.skipWS()
		if p.pos >= len(p.data) {
			return value{}, p.unexpected()
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			if n := len(p.members) - base; n > 0 {
				v.obj = p.takeMembers(p.members[base:])
				p.members = p.members[:base]
			}
			return v, nil
		default:
			return value{}, p.unexpected()
		}
	}
}

// hasKey is a linear scan: stored objects have at most maxChildren members.
func hasKey(members []member, key string) bool {
	for i := range members {
		if members[i].key == key {
			return true
		}
	}
	return false
}

func (p *parser) parseArray() (value, error) {
	if err := p.enter(); err != nil {
		return value{}, err
	}
	p.pos++ // '['
	v := value{kind: kindArray, arr: []value{}}
	p.skipWS()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		p.depth--
		return v, nil
	}
	base := len(p.elems)
	for i := 0; ; i++ {
		p.skipWS()
		p.path = append(p.path, pathElem{index: i, isIdx: true})
		ev, err := p.parseValue()
		if err != nil {
			return value{}, err
		}
		p.path = p.path[:len(p.path)-1]
		if p.keep(len(p.elems) - base) {
			p.elems = append(p.elems, ev)
		}
		p.skipWS()
		if p.pos >= len(p.data) {
			return value{}, p.unexpected()
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			if n := len(p.elems) - base; n > 0 {
				v.arr = p.takeElems(p.elems[base:])
				p.elems = p.elems[:base]
			}
			return v, nil
		default:
			return value{}, p.unexpected()
		}
	}
}

func (p *parser) parseNumber() (value, error) {
	start := p.pos
	d := p.data
	if d[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos < len(d) && d[p.pos] == '0':
		p.pos++
	case p.pos < len(d) && d[p.pos] >= '1' && d[p.pos] <= '9':
		p.skipDigits()
	default:
		return value{}, p.unexpected()
	}
	if p.pos < len(d) && d[p.pos] == '.' {
		p.pos++
		if !p.skipDigits() {
			return value{}, p.unexpected()
		}
	}
	if p.pos < len(d) && (d[p.pos] == 'e' || d[p.pos] == 'E') {
		p.pos++
		if p.pos < len(d) && (d[p.pos] == '+' || d[p.pos] == '-') {
			p.pos++
		}
		if !p.skipDigits() {
			return value{}, p.unexpected()
		}
	}
	return value{kind: kindNumber, str: p.str[start:p.pos]}, nil
}

func (p *parser) skipDigits() bool {
	start := p.pos
	for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
		p.pos++
	}
	return p.pos > start
}

// parseString reads a string starting at the opening quote. The body is
// already known to be valid UTF-8, so only escapes and control characters
// need attention.
func (p *parser) parseString() (string, error) {
	p.pos++ // opening quote
	start := p.pos
	d := p.data
	p.pos = skipPlain(d, p.pos)
	for p.pos < len(d) {
		c := d[p.pos]
		if c == '"' {
			s := p.str[start:p.pos]
			p.pos++
			return s, nil
		}
		if c == '\\' {
			return p.parseEscapedString(start)
		}
		if c < 0x20 {
			return "", p.malformed("control character in string")
		}
		p.pos++
	}
	return "", p.unexpected()
}

func (p *parser) parseEscapedString(start int) (string, error) {
	d := p.data
	buf := make([]byte, 0, p.pos-start+16)
	buf = append(buf, d[start:p.pos]...)
	for p.pos < len(d) {
		c := d[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(buf), nil
		case c < 0x20:
			return "", p.malformed("control character in string")
		case c != '\\':
			buf = append(buf, c)
			p.pos++
			continue
		}
		p.pos++ // backslash
		if p.pos >= len(d) {
			return "", p.unexpected()
		}
		e := d[p.pos]
		p.pos++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, err := p.hex4()
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(r) {
				// A lone surrogate has no UTF-8 form; silently replacing it
				// would change the client's data, so it is refused.
				var r2 rune = -1
				if r < 0xdc00 && p.pos+1 < len(d) && d[p.pos] == '\\' && d[p.pos+1] == 'u' {
					p.pos += 2
					if r2, err = p.hex4(); err != nil {
						return "", err
					}
				}
				r = utf16.DecodeRune(r, r2)
				if r == utf8.RuneError {
					return "", p.malformed("unpaired surrogate escape")
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			p.pos--
			return "", p.malformed(fmt.Sprintf("invalid escape %q", "\\"+string(rune(e))))
		}
	}
	return "", p.unexpected()
}

func (p *parser) hex4() (rune, error) {
	if p.pos+4 > len(p.data) {
		p.pos = len(p.data)
		return 0, p.unexpected()
	}
	var r rune
	for i := 0; i < 4; i++ {
		c := p.data[p.pos]
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, p.malformed("invalid \\u escape")
		}
		p.pos++
	}
	return r, nil
}

// appendCanonical writes v with object keys sorted bytewise, no insignificant
// whitespace, null members dropped and numbers as their literal text.
func appendCanonical(buf []byte, v value) []byte {
	c := canonWriter{order: make([]int32, 0, 64)} // one allocation for most bodies
	return c.append(buf, v)
}

// canonWriter sorts an out-of-order object through a stack of member
// indexes (order) instead of sorting copies of the members: a member is 88
// bytes with pointers, an index 4, and nearly every object a client sends
// is out of order.
type canonWriter struct {
	order []int32
}

func (c *canonWriter) append(buf []byte, v value) []byte {
	switch v.kind {
	case kindNull:
		return append(buf, "null"...)
	case kindBool:
		if v.b {
			return append(buf, "true"...)
		}
		return append(buf, "false"...)
	case kindNumber:
		return append(buf, v.str...)
	case kindString:
		return appendQuoted(buf, v.str)
	case kindArray:
		buf = append(buf, '[')
		for i := range v.arr {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = c.append(buf, v.arr[i])
		}
		return append(buf, ']')
	}
	members := v.obj
	buf = append(buf, '{')
	if canonicalOrder(members) {
		for i := range members {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = c.member(buf, &members[i])
		}
		return append(buf, '}')
	}
	base := len(c.order)
	for i := range members {
		if members[i].val.kind != kindNull {
			c.order = append(c.order, int32(i))
		}
	}
	slices.SortFunc(c.order[base:], func(a, b int32) int { return strings.Compare(members[a].key, members[b].key) })
	// Nested objects push their indexes above end and pop them again, but
	// may move the backing array: c.order is read afresh each time.
	end := len(c.order)
	for k := base; k < end; k++ {
		if k > base {
			buf = append(buf, ',')
		}
		buf = c.member(buf, &members[c.order[k]])
	}
	c.order = c.order[:base]
	return append(buf, '}')
}

func (c *canonWriter) member(buf []byte, m *member) []byte {
	buf = appendQuoted(buf, m.key)
	buf = append(buf, ':')
	return c.append(buf, m.val)
}

// canonicalOrder reports whether members are already as the canonical
// encoding writes them: keys ascending, no nulls (then they need no copy).
func canonicalOrder(members []member) bool {
	for i, m := range members {
		if m.val.kind == kindNull || (i > 0 && members[i-1].key >= m.key) {
			return false
		}
	}
	return true
}

// appendQuoted escapes only what JSON requires, so that equal strings always
// encode to equal bytes whatever escapes the client used.
func appendQuoted(buf []byte, s string) []byte {
	buf = append(buf, '"')
	buf = AppendStringContent(buf, s)
	return append(buf, '"')
}

// AppendStringContent appends s as the canonical encoding puts it between
// the quotes of a JSON string. Each character is escaped on its own, so the
// content of a concatenation is the concatenation of the contents: the
// template engine splices values into a canonical design with it and gets
// the canonical encoding of the rendered body.
func AppendStringContent(buf []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	start := 0
	for i := skipPlainString(s, 0); i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '"', '\\':
			buf = append(buf, '\\', c)
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	return append(buf, s[start:]...)
}

// skipPlain returns the first index from i on of a byte that needs a
// string scanner's attention (a quote, a backslash or a control
// character), or a few bytes before it: it steps over ordinary bytes
// eight at a time, which the data-URI images of a request (kilobytes of
// base64 each) made worth it. Callers carry on byte by byte from there.
func skipPlain(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		if special(binary.LittleEndian.Uint64(b[i:])) {
			break
		}
	}
	return i
}

// skipPlainString is skipPlain on a string.
func skipPlainString(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if special(w) {
			break
		}
	}
	return i
}

// special reports whether any byte of w is below 0x20, '"' or '\\'. With
// ones = 0x01 in every byte, (x - n*ones) &^ x & 0x80-in-every-byte is
// nonzero exactly when some byte of x is below n (n <= 0x80); a byte equal
// to c is a zero byte of x ^ c*ones, that is one below 1.
func special(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := w ^ ones*'"'
	bs := w ^ ones*'\\'
	return ((w-ones*0x20)&^w|(q-ones)&^q|(bs-ones)&^bs)&highs != 0
}
