package mcpserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/walletwallet/walletwallet"
)

// Argument names of the tools that are not the request body itself. The
// serial and the list parameters are the path and query parts of the
// matching API request; pass and patch carry its body.
const (
	argSerial = "serialNumber"
	argPass   = "pass"
	argPatch  = "patch"
	argLimit  = "limit"
	argCursor = "cursor"
	argStatus = "status"
	argSide   = "side"
)

// args are a tool call's arguments, each member still raw JSON so that a
// body reaches the service as the bytes the client sent.
type args map[string]json.RawMessage

func invalid(format string, a ...any) error {
	return walletwallet.Errorf(walletwallet.EINVALID, format, a...)
}

// arguments reads a call's arguments as strictly as the API reads a body: a
// JSON object (absent means {}), valid UTF-8, each member once and among
// allowed. Values are kept raw: bodies are the service's to judge.
func arguments(raw json.RawMessage, allowed ...string) (args, error) {
	m := args{}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return m, nil
	}
	if !utf8.Valid(raw) {
		return nil, invalid("the arguments are not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, invalid("the arguments must be a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalid("malformed arguments: %v", err)
		}
		name, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, invalid("malformed arguments: %v", err)
		}
		if _, dup := m[name]; dup {
			return nil, invalid("argument %q is given twice", name)
		}
		known := false
		for _, a := range allowed {
			known = known || a == name
		}
		if !known {
			if len(allowed) == 0 {
				return nil, invalid("unknown argument %q: this tool takes none", name)
			}
			return nil, invalid("unknown argument %q: this tool takes %s", name, strings.Join(allowed, ", "))
		}
		m[name] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, invalid("malformed arguments: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalid("unexpected data after the arguments")
	}
	return m, nil
}

// str returns a string argument; absent is "" unless required.
func (m args) str(name string, required bool) (string, error) {
	v, ok := m[name]
	if !ok {
		if required {
			return "", invalid("%s is required and must be a string", name)
		}
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", invalid("%s must be a string", name)
	}
	return s, nil
}

// value returns a required argument as raw JSON (what says what it is for
// the message).
func (m args) value(name, what string) (json.RawMessage, error) {
	v, ok := m[name]
	if !ok {
		return nil, invalid("%s is required: %s", name, what)
	}
	return v, nil
}

// text returns an argument as the text a query string would carry: a
// string's contents, anything else as written ("" when absent).
func (m args) text(name string) string {
	v, ok := m[name]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// serialArg reads the arguments of a tool that takes only a serial number.
func serialArg(raw json.RawMessage) (string, error) {
	m, err := arguments(raw, argSerial)
	if err != nil {
		return "", err
	}
	return m.str(argSerial, true)
}
