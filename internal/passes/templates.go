package passes

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/mergepatch"
	"github.com/walletwallet/walletwallet/internal/pkpass"
	"github.com/walletwallet/walletwallet/internal/placeholder"
)

// Templates: create, read, list, replace, patch and delete a design, and
// issue passes from it (issue.go); a template change is templateupdate.go.

// MaxTemplateName is the longest template name (characters).
const MaxTemplateName = 64

// TemplateStore is the part of walletwallet.Store the template operations use.
type TemplateStore interface {
	CreateTemplate(ctx context.Context, t *walletwallet.Template) error
	Template(ctx context.Context, id string) (*walletwallet.Template, error)
	TemplateCounts(ctx context.Context, id string) (passes, devices int, err error)
	Templates(ctx context.Context, accountID int64) ([]walletwallet.Template, error)
	UpdateTemplate(ctx context.Context, c *walletwallet.TemplateChange, q walletwallet.Quota) (*walletwallet.TemplateUpdateResult, error)
	DeleteTemplate(ctx context.Context, accountID int64, id string) error
}

// TemplateView is a template with its compiled design.
type TemplateView struct {
	*walletwallet.Template
	Design   *placeholder.Design
	Defaults map[string]string
}

func invalidf(format string, args ...any) error {
	return walletwallet.Errorf(walletwallet.EINVALID, format, args...)
}

// templateBody is a parsed and checked create/replace body.
type templateBody struct {
	name     string
	design   *placeholder.Design
	defaults map[string]string
}

// strictObject decodes a body strictly (pkpass's rules: valid UTF-8, no
// duplicate keys, nothing after the value) into its exact members.
func strictObject(body []byte, what string) (map[string]json.RawMessage, error) {
	canon, _, err := pkpass.Canonical(body)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(canon, &m); err != nil || m == nil {
		return nil, invalidf("%s must be a JSON object", what)
	}
	return m, nil
}

// stringMap decodes {name: string} where every name is a placeholder name.
func stringMap(raw json.RawMessage, field string) (map[string]string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, invalidf("%s must be an object of placeholder names to strings", field)
	}
	out := make(map[string]string, len(m))
	for _, k := range sortedKeys(m) {
		if !placeholder.ValidName(k) {
			return nil, invalidf("%s.%s: %q is not a placeholder name (1 to %d letters, digits or _)", field, k, k, placeholder.MaxName)
		}
		var v string
		if err := json.Unmarshal(m[k], &v); err != nil {
			return nil, invalidf("%s.%s must be a string", field, k)
		}
		out[k] = v
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// parseTemplate checks a template body {"name", "pass", "defaults"?}: the
// design is checked for everything that does not depend on values.
func parseTemplate(a *walletwallet.Account, body []byte, plan walletwallet.Plan) (*templateBody, error) {
	m, err := strictObject(body, "a template body")
	if err != nil {
		return nil, err
	}
	for _, k := range sortedKeys(m) {
		switch k {
		case "name", "pass", "defaults":
		default:
			return nil, invalidf("unknown field %q: a template has name, pass and defaults", k)
		}
	}
	var name string
	if raw, ok := m["name"]; !ok || json.Unmarshal(raw, &name) != nil || name == "" {
		return nil, invalidf("name is required and must be a string of 1 to %d characters", MaxTemplateName)
	}
	if n := utf8.RuneCountInString(name); n > MaxTemplateName {
		return nil, invalidf("name must be at most %d characters (got %d)", MaxTemplateName, n)
	}
	raw, ok := m["pass"]
	if !ok || len(raw) == 0 || raw[0] != '{' {
		return nil, invalidf("pass is required and must be a pass body (an object whose strings may hold {{placeholders}})")
	}
	d, err := placeholder.Compile(raw) // a member of canonical JSON is canonical
	if err != nil {
		return nil, err
	}
	defaults := map[string]string{}
	if raw, ok := m["defaults"]; ok {
		if defaults, err = stringMap(raw, "defaults"); err != nil {
			return nil, err
		}
	}
	for _, k := range sortedKeys(defaults) {
		if !d.Has(k) {
			return nil, invalidf("defaults.%s names no placeholder of the design (placeholders: %s)", k, orNone(d.List()))
		}
	}
	if err := checkDesign(d, defaults, plan); err != nil {
		return nil, err
	}
	return &templateBody{name: name, design: d, defaults: defaults}, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// samples stand in for a placeholder's value while the design is checked:
// the first is tried first; when a rule of the field the placeholder is in
// refuses it, the next. A field that none of them can satisfy breaks a rule
// that does not depend on values (an enumeration, a pairing of fields).
var samples = []string{"x", "https://example.com/image.png", "#000000", "rgb(0, 0, 0)", "2026-01-01T00:00:00Z", "1", "X"}

// sampleFor is the first sample for a placeholder in the field at path:
// some rules' messages do not start with the field's path (an image URL's
// names it at the end), so those fields start with a value they accept.
func sampleFor(path string) string {
	switch {
	case strings.HasSuffix(path, "URL"):
		return samples[1]
	case strings.HasSuffix(strings.ToLower(path), "color"):
		return samples[2]
	case strings.HasSuffix(path, "Date"):
		return samples[4]
	}
	return samples[0]
}

// checkDesign runs the pass validator over the design with every
// placeholder replaced by its default or a sample, so that types,
// enumerations, limits of the fixed text and the plan gate are checked once
// at create, and only rules a value could satisfy are left to each pass.
func checkDesign(d *placeholder.Design, defaults map[string]string, plan walletwallet.Plan) error {
	var tree any
	if err := json.Unmarshal(d.Canonical(), &tree); err != nil {
		return invalidf("pass must be a JSON object")
	}
	held := map[string]bool{}
	for _, s := range d.Strings() {
		held[s.Path] = true
	}
	// Start from the defaults, else the first sample, substituted in place.
	for _, s := range d.Strings() {
		text := s.Text
		for _, n := range d.Names() {
			v, ok := defaults[n]
			if !ok {
				v = sampleFor(s.Path)
			}
			text = strings.ReplaceAll(text, "{{"+n+"}}", v)
		}
		setPath(tree, s.Path, text)
	}
	tried := map[string]int{}
	for range 8 * (len(d.Strings()) + 1) {
		body, err := json.Marshal(tree)
		if err != nil {
			return err
		}
		req, err := pkpass.Parse(body)
		if err == nil {
			if err := req.CheckPlan(plan); err != nil {
				return inDesign(err)
			}
			return nil
		}
		path := errorPath(err)
		var e *walletwallet.Error
		if !held[path] || !errors.As(err, &e) || strings.Contains(e.Message, "must be one of") {
			return inDesign(err)
		}
		if tried[path] >= len(samples) {
			return inDesign(err)
		}
		setPath(tree, path, samples[tried[path]])
		tried[path]++
	}
	return invalidf("pass: the design could not be checked (too many placeholder fields refused every sample value)")
}

// inDesign names the design member in a validator's message.
func inDesign(err error) error {
	var e *walletwallet.Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	if m := e.Message; m != "" && m[0] >= 'a' && m[0] <= 'z' {
		c.Message = "pass." + m
	} else {
		c.Message = "pass: " + m
	}
	return &c
}

// errorPath is the field path a validator message starts with
// ("headerFields[0].value must…" → "headerFields[0].value").
func errorPath(err error) string {
	var e *walletwallet.Error
	if !errors.As(err, &e) {
		return ""
	}
	m := e.Message
	end := 0
	for end < len(m) {
		c := m[end]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '[' || c == ']') {
			break
		}
		end++
	}
	return strings.TrimSuffix(m[:end], ".")
}

// setPath replaces the string at path ("a.b[2].c") in tree.
func setPath(tree any, path string, v string) {
	parts := strings.Split(strings.ReplaceAll(path, "[", ".["), ".")
	cur := tree
	for i, p := range parts {
		last := i == len(parts)-1
		if strings.HasPrefix(p, "[") {
			n, err := strconv.Atoi(strings.Trim(p, "[]"))
			arr, ok := cur.([]any)
			if err != nil || !ok || n < 0 || n >= len(arr) {
				return
			}
			if last {
				arr[n] = v
				return
			}
			cur = arr[n]
			continue
		}
		obj, ok := cur.(map[string]any)
		if !ok {
			return
		}
		if last {
			if _, ok := obj[p]; ok {
				obj[p] = v
			}
			return
		}
		cur = obj[p]
	}
}

// CreateTemplate stores a new template (POST /api/templates).
func (s *Service) CreateTemplate(ctx context.Context, a *walletwallet.Account, body []byte) (*TemplateView, error) {
	now := s.Now()
	tb, err := parseTemplate(a, body, a.EffectivePlan(now))
	if err != nil {
		return nil, err
	}
	t := &walletwallet.Template{
		ID: walletwallet.NewTemplateID(), AccountID: a.ID, Name: tb.name,
		Design: tb.design.Canonical(), Defaults: placeholder.EncodeValues(tb.defaults), CreatedAt: now,
	}
	if err := s.Templates.CreateTemplate(ctx, t); err != nil {
		return nil, err
	}
	return &TemplateView{Template: t, Design: tb.design, Defaults: tb.defaults}, nil
}

// OwnedTemplate is the one rule for reaching a template: an id that names
// none (or a deleted one) is ENOTFOUND, another account's EFORBIDDEN.
func (s *Service) OwnedTemplate(ctx context.Context, a *walletwallet.Account, id string) (*TemplateView, error) {
	notFound := walletwallet.Errorf(walletwallet.ENOTFOUND, "no template with id %q", id)
	if !walletwallet.ValidTemplateID(id) {
		return nil, notFound
	}
	t, err := s.Templates.Template(ctx, id)
	if walletwallet.ErrorCode(err) == walletwallet.ENOTFOUND || err == nil && t.Deleted {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	if t.AccountID != a.ID {
		return nil, walletwallet.Errorf(walletwallet.EFORBIDDEN, "this API key may not use template %q", id)
	}
	c, err := s.Renderer.compile(t)
	if err != nil {
		return nil, err
	}
	return &TemplateView{Template: t, Design: c.design, Defaults: c.defaults}, nil
}

// GetTemplate is OwnedTemplate with the counts of its passes and devices.
func (s *Service) GetTemplate(ctx context.Context, a *walletwallet.Account, id string) (*TemplateView, error) {
	v, err := s.OwnedTemplate(ctx, a, id)
	if err != nil {
		return nil, err
	}
	v.Passes, v.Devices, err = s.Templates.TemplateCounts(ctx, id)
	return v, err
}

// ListTemplates lists the caller's templates, oldest first.
func (s *Service) ListTemplates(ctx context.Context, a *walletwallet.Account) ([]TemplateView, error) {
	ts, err := s.Templates.Templates(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	out := make([]TemplateView, len(ts))
	for i := range ts {
		c, err := s.Renderer.compile(&ts[i])
		if err != nil {
			return nil, err
		}
		out[i] = TemplateView{Template: &ts[i], Design: c.design, Defaults: c.defaults}
	}
	return out, nil
}

// DeleteTemplate deletes a template without active passes.
func (s *Service) DeleteTemplate(ctx context.Context, a *walletwallet.Account, id string) error {
	if _, err := s.OwnedTemplate(ctx, a, id); err != nil {
		return err
	}
	err := s.Templates.DeleteTemplate(ctx, a.ID, id)
	if walletwallet.ErrorCode(err) == walletwallet.ENOTFOUND {
		return walletwallet.Errorf(walletwallet.ENOTFOUND, "no template with id %q", id)
	}
	return err
}

// templateDoc is the document a template merge patch applies to.
func templateDoc(v *TemplateView) ([]byte, error) {
	return json.Marshal(map[string]any{
		"name":     v.Name,
		"pass":     json.RawMessage(v.Template.Design),
		"defaults": v.Defaults,
	})
}

// patchedTemplate applies an RFC 7396 merge patch to the template's
// {"name", "pass", "defaults"}.
func patchedTemplate(v *TemplateView, patch []byte) ([]byte, error) {
	pv, err := mergepatch.Decode(patch)
	if err != nil {
		return nil, invalidf("malformed merge patch: %v", err)
	}
	if _, ok := pv.(map[string]any); !ok {
		return nil, invalidf("a merge patch must be a JSON object of the members to change (name, pass, defaults)")
	}
	doc, err := templateDoc(v)
	if err != nil {
		return nil, err
	}
	return mergepatch.Apply(doc, patch)
}
