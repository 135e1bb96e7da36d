package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/walletwallet/walletwallet/internal/openapi/openapitest"
	"github.com/walletwallet/walletwallet/internal/pkpass"
)

// limitCase is one value at one place of a pass body, and whether the
// schema admits it.
type limitCase struct {
	path  []string // member names; "0" is an array's first item, "oneOf:N" an alternative
	value any
	valid bool
	what  string
}

var deleteMember = &struct{}{} // a case value that removes the member

// samples gives, for each pattern of the schema, a value it matches and
// one it refuses; a new pattern without an entry fails the test.
type sampler struct {
	t       *testing.T
	good    map[string]string
	bad     map[string]string
	members map[string]any // members whose validity the schema cannot state (a real key)
	walked  map[string]bool
	dataURI string // base64 of a small PNG
}

func newSampler(t *testing.T) *sampler {
	var buf bytes.Buffer
	png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 64, 64)))
	dataURI := base64.StdEncoding.EncodeToString(buf.Bytes())
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	spki, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	s := &sampler{t: t, dataURI: dataURI, good: map[string]string{}, bad: map[string]string{}, walked: map[string]bool{},
		members: map[string]any{"encryptionPublicKey": base64.StdEncoding.EncodeToString(spki)}}
	for _, f := range pkpass.Fields() {
		s.learn(f.Schema)
	}
	return s
}

// learn gives every pattern of a schema its samples.
func (s *sampler) learn(schema map[string]any) {
	t := s.t
	walkPatterns(schema, func(p string) {
		switch {
		case strings.Contains(p, "[0-9A-Fa-f]{8}-"):
			s.good[p], s.bad[p] = "E2C56DB5-DFFB-48D2-B060-D0F5A71096E0", "E2C56DB5-DFFB-48D2"
		case strings.Contains(p, "[A-Z]{3}"):
			s.good[p], s.bad[p] = "EUR", "eur"
		case strings.Contains(p, `(\.[0-9]+)?$`) && strings.HasPrefix(p, "^-?"):
			s.good[p], s.bad[p] = "12.50", "12,50"
		case strings.Contains(p, "[Hh][Tt][Tt][Pp][Ss]"):
			// Only data URIs are accepted here: an https URL would be fetched.
			s.good[p], s.bad[p] = "DATA:image/PNG;base64,"+s.dataURI, "http://example.com/logo.png"
		case strings.Contains(p, "[Tt]"):
			s.good[p], s.bad[p] = "2026-05-11T20:00:00+02:00", "2026-05-11 20:00"
		case strings.Contains(p, "#[0-9A-Fa-f]{6}"):
			s.good[p], s.bad[p] = "#1E40af", "#1e40a"
		case strings.Contains(p, "[a-z]{2,3}"):
			s.good[p], s.bad[p] = "pt-BR", "PT"
		case strings.Contains(p, "[A-Za-z0-9+.-]*:"):
			s.good[p], s.bad[p] = "myapp://open", "no scheme"
		case p == "^https://":
			// Allowed by WW_FETCH_ALLOW_CIDRS in the test; nothing is delivered.
			s.good[p], s.bad[p] = "https://127.0.0.1/hook?x=", "http://127.0.0.1/hook"
		case strings.Contains(p, "[A-Za-z0-9_]{1,64}"):
			s.good[p], s.bad[p] = "member", "has space"
		case strings.Contains(p, "[A-Za-z0-9_:.-]+"):
			s.good[p], s.bad[p] = "aabbcc01", "aa bb"
		default:
			t.Fatalf("no sample for pattern %s: add one to sampler.learn", p)
		}
	})
}

func walkPatterns(v any, fn func(string)) {
	switch v := v.(type) {
	case map[string]any:
		if p, ok := v["pattern"].(string); ok {
			fn(p)
		}
		for _, x := range v {
			walkPatterns(x, fn)
		}
	case []map[string]any:
		for _, x := range v {
			walkPatterns(x, fn)
		}
	}
}

func typeOf(s map[string]any) (string, bool) {
	switch t := s["type"].(type) {
	case string:
		return t, false
	case []string:
		return t[0], slices.Contains(t, "null")
	}
	if _, ok := s["enum"]; ok {
		return "string", false
	}
	return "", false
}

func num(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// sample is a value the schema admits; name is the member it is for.
func (s *sampler) sample(name string, sc map[string]any) any {
	if v, ok := s.members[name]; ok {
		return v
	}
	if e, ok := sc["enum"].([]string); ok {
		return e[0]
	}
	if e, ok := sc["enum"].([]any); ok {
		for _, v := range e {
			if v != nil && v != "" {
				return v
			}
		}
	}
	if alts, ok := sc["oneOf"].([]map[string]any); ok {
		return s.sample(name, alts[0])
	}
	ty, _ := typeOf(sc)
	switch ty {
	case "string":
		if p, ok := sc["pattern"].(string); ok {
			return s.good[p]
		}
		if name == "endDate" {
			return "2026-05-12T20:00:00+02:00"
		}
		return "a"
	case "integer", "number":
		if m, ok := num(sc["minimum"]); ok {
			return m
		}
		return 1
	case "boolean":
		return false
	case "array":
		if it, ok := sc["items"].(map[string]any); ok {
			return []any{s.sample("", it)}
		}
		return []any{}
	case "object":
		o := map[string]any{}
		props, _ := sc["properties"].(map[string]any)
		req, _ := sc["required"].([]string)
		for _, r := range req {
			o[r] = s.sample(r, props[r].(map[string]any))
		}
		if name == "endDate" || o["startDate"] != nil {
			o["endDate"] = "2026-05-12T20:00:00+02:00"
		}
		return o
	}
	return nil
}

// cases lists values at and past each limit the schema states, and for
// its parts, under path.
func (s *sampler) cases(name string, sc map[string]any, path []string) []limitCase {
	var out []limitCase
	add := func(v any, valid bool, what string) {
		out = append(out, limitCase{path: slices.Clone(path), value: v, valid: valid, what: what})
	}
	if _, ok := s.members[name]; ok {
		add(s.members[name], true, "a real value")
		add("", false, "empty")
		return out
	}
	ty, nullable := typeOf(sc)
	if ty != "" {
		add(nil, nullable, "null")
		wrong := map[string]any{"string": 5, "integer": "1", "number": "1", "boolean": "true", "array": map[string]any{}, "object": []any{}}
		add(wrong[ty], false, "wrong type")
	}
	if e, ok := sc["enum"].([]any); ok {
		for _, v := range e {
			add(v, true, fmt.Sprintf("enum value %v", v))
		}
		add("Bogus", false, "not in the enumeration")
	} else if e, ok := sc["enum"].([]string); ok {
		for _, v := range e {
			add(v, true, "enum value "+v)
		}
		add("Bogus", false, "not in the enumeration")
	}
	if p, ok := sc["pattern"].(string); ok {
		good := s.good[p]
		if name == "endDate" {
			good = "2026-05-12T20:00:00+02:00" // after the sample startDate
		}
		add(good, true, "matches the pattern")
		add(s.bad[p], false, "does not match the pattern")
	}
	if l, ok := sc["maxLength"].(int); ok {
		// Non-ASCII characters prove limits count characters, not bytes;
		// a limit the schema can only state in characters while the server
		// counts bytes (nfc.message) is tried in ASCII.
		pad := "é"
		if d, _ := sc["description"].(string); strings.Contains(d, "bytes") {
			pad = "a"
		}
		prefix := ""
		if p, ok := sc["pattern"].(string); ok {
			pad, prefix = "a", s.good[p]
		}
		add(prefix+strings.Repeat(pad, l-len([]rune(prefix))), true, fmt.Sprintf("%d characters", l))
		add(prefix+strings.Repeat(pad, l+1-len([]rune(prefix))), false, fmt.Sprintf("%d characters", l+1))
	}
	if l, ok := sc["minLength"].(int); ok && l > 0 {
		add(strings.Repeat("é", l-1), false, fmt.Sprintf("%d characters", l-1))
	}
	for _, b := range []struct {
		key  string
		step float64
	}{{"minimum", -1}, {"maximum", 1}} {
		if m, ok := num(sc[b.key]); ok {
			add(m, true, fmt.Sprintf("%s %v", b.key, m))
			add(m+b.step, false, fmt.Sprintf("past %s %v", b.key, m))
		}
	}
	items, _ := sc["items"].(map[string]any)
	if n, ok := sc["maxItems"].(int); ok && items != nil {
		add(slices.Repeat([]any{s.sample("", items)}, n), true, fmt.Sprintf("%d items", n))
		add(slices.Repeat([]any{s.sample("", items)}, n+1), false, fmt.Sprintf("%d items", n+1))
	}
	// Items of one shape (the field objects of five arrays) are walked
	// once; the arrays' own limits are tried for each.
	if shape, _ := json.Marshal(items); items != nil && !s.walked[string(shape)] {
		s.walked[string(shape)] = true
		out = append(out, s.cases("", items, append(path, "0"))...)
	}
	addl, _ := sc["additionalProperties"].(map[string]any)
	names, _ := sc["propertyNames"].(map[string]any)
	if n, ok := sc["maxProperties"].(int); ok && addl != nil {
		many := func(k int) map[string]any {
			o := map[string]any{}
			for i := 0; i < k; i++ {
				key := fmt.Sprintf("k%d", i)
				if names["pattern"] != nil {
					key = string(rune('a'+i/26)) + string(rune('a'+i%26))
				}
				o[key] = s.sample("", addl)
			}
			return o
		}
		add(many(n), true, fmt.Sprintf("%d members", n))
		add(many(n+1), false, fmt.Sprintf("%d members", n+1))
	}
	if names != nil {
		key := func(k string) map[string]any { return map[string]any{k: s.sample("", addl)} }
		if p, ok := names["pattern"].(string); ok {
			add(key(s.good[p]), true, "member name matches")
			add(key(s.bad[p]), false, "member name does not match")
		}
		if l, ok := names["maxLength"].(int); ok {
			add(key(strings.Repeat("é", l)), true, fmt.Sprintf("member name of %d characters", l))
			add(key(strings.Repeat("é", l+1)), false, fmt.Sprintf("member name of %d characters", l+1))
		}
		if _, ok := names["minLength"].(int); ok {
			add(key(""), false, "empty member name")
		}
	}
	if addl != nil {
		k := "k"
		if p, ok := names["pattern"].(string); ok {
			k = s.good[p]
		}
		out = append(out, s.cases("", addl, append(path, "*"+k))...)
	}
	if props, ok := sc["properties"].(map[string]any); ok {
		if sc["additionalProperties"] == false {
			add(map[string]any{"bogusMember": "x"}, false, "unknown member")
		}
		req, _ := sc["required"].([]string)
		for _, r := range req {
			out = append(out, limitCase{path: append(slices.Clone(path), r), value: deleteMember, what: "required member missing"})
		}
		// Members of one shape (the semantic tags of a type) are tried
		// once per shape; the first in name order stands for the rest.
		tried := map[string]bool{}
		for _, k := range slices.Sorted(maps.Keys(props)) {
			shape, _ := json.Marshal(props[k])
			if len(props) > 20 && tried[string(shape)] {
				continue
			}
			tried[string(shape)] = true
			out = append(out, s.cases(k, props[k].(map[string]any), append(path, k))...)
		}
	}
	if alts, ok := sc["oneOf"].([]map[string]any); ok {
		for i, alt := range alts {
			out = append(out, s.cases(name, alt, append(path, fmt.Sprintf("oneOf:%d", i)))...)
		}
	}
	return out
}

// build is the sample of sc with the case's value at path.
func (s *sampler) build(name string, sc map[string]any, path []string, v any) any {
	if len(path) == 0 {
		return v
	}
	head, rest := path[0], path[1:]
	switch {
	case head == "0":
		return []any{s.build("", sc["items"].(map[string]any), rest, v)}
	case strings.HasPrefix(head, "oneOf:"):
		var i int
		fmt.Sscanf(head, "oneOf:%d", &i)
		return s.build(name, sc["oneOf"].([]map[string]any)[i], rest, v)
	case strings.HasPrefix(head, "*"):
		return map[string]any{head[1:]: s.build("", sc["additionalProperties"].(map[string]any), rest, v)}
	}
	o, _ := s.sample(name, sc).(map[string]any)
	if len(rest) == 0 && v == deleteMember {
		delete(o, head)
		return o
	}
	props := sc["properties"].(map[string]any)
	o[head] = s.build(head, props[head].(map[string]any), rest, v)
	fieldOptions(o, head)
	return o
}

// fieldOptions gives a field object what its options need besides
// themselves (a date for dateStyle, a number for numberStyle): rules
// between members, which the schema describes in words only.
func fieldOptions(o map[string]any, member string) {
	if _, ok := o["value"]; !ok {
		return // not a field object
	}
	switch member {
	case "dateStyle", "timeStyle":
		o["value"] = "2026-05-11T20:00:00+02:00"
	case "isRelative", "ignoresTimeZone":
		o["value"], o["dateStyle"] = "2026-05-11T20:00:00+02:00", "short"
	case "numberStyle", "currencyCode":
		o["value"] = "12.50"
	}
}

// baseBody is the smallest body on which field can be set: the style that
// has it and what that style or the field needs besides.
func baseBody(f pkpass.FieldInfo, v any) map[string]any {
	b := map[string]any{"barcodeValue": "1", "barcodeFormat": "QR", "logoText": "Limits"}
	if f.Styles != nil {
		b["style"] = f.Styles[0]
	}
	empty := v == nil || v == "" || v == false
	switch f.Name {
	case "transitType":
		if empty {
			delete(b, "style")
		}
	case "footerURL":
		b["transitType"] = "air"
	case "style":
		if v == pkpass.StyleBoardingPass {
			b["transitType"] = "air"
		}
	case "poster", "artworkURL":
		b["poster"] = true
		b["semantics"] = map[string]any{"eventName": "Concert", "venueName": "Hall"}
	case "logoText":
		delete(b, "logoText")
		b["title"] = "Limits" // the at-least-one rule, met otherwise
	case "label":
		if !empty {
			b["value"] = "v"
		}
	case "value":
		if !empty {
			b["label"] = "L"
		}
	}
	return b
}

// TestOpenAPILimits sends, for every field of the table, values at and just
// past each limit its schema states (length, enumeration, pattern, range,
// items, members, types, unknown and missing members) to the spawned
// server, and checks that the server refuses exactly what the schema
// forbids. POST /api/preview validates and plan-gates like a POST and
// stores nothing.
func TestOpenAPILimits(t *testing.T) {
	c, err := openapitest.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	env := testEnv(t, nil)
	srv := startServer(t, env)
	key := newKey(t, env, "--plan", "pro")
	s := newSampler(t)
	type job struct {
		where, what string
		raw         []byte
		schemaOK    bool
	}
	var jobs []job
	for _, f := range pkpass.Fields() {
		for _, lc := range s.cases(f.Name, f.Schema, nil) {
			body := baseBody(f, lc.value)
			v := s.build(f.Name, f.Schema, lc.path, lc.value)
			if v == deleteMember {
				delete(body, f.Name)
			} else {
				body[f.Name] = v
			}
			raw, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			where := f.Name + "." + strings.Join(lc.path, ".")
			var decoded any
			json.Unmarshal(raw, &decoded)
			schemaOK := c.Schema("PassRequest", decoded) == nil
			if schemaOK != lc.valid {
				t.Errorf("%s (%s): the schema says valid=%v, the case expected %v: %s", where, lc.what, schemaOK, lc.valid, raw)
			}
			jobs = append(jobs, job{where, lc.what, raw, schemaOK})
		}
	}
	for _, j := range jobs {
		r := call(t, "POST", srv.URL+"/api/preview", string(j.raw), bearer(key), jsonCT)
		if r.status != 200 && r.status != 400 {
			t.Errorf("%s (%s): %d %s", j.where, j.what, r.status, r.body)
			continue
		}
		if serverOK := r.status == 200; serverOK != j.schemaOK {
			t.Errorf("%s (%s): the schema says valid=%v, the server answered %d %s\nbody: %.400s", j.where, j.what, j.schemaOK, r.status, r.body, j.raw)
		}
	}
	n := len(jobs)
	t.Logf("%d cases", n)
	if n < 200 {
		t.Errorf("only %d cases: is the generator still reading the schemas?", n)
	}
}
