package passes

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/pkpass"
	"github.com/walletwallet/walletwallet/internal/placeholder"
)

// MaxTemplateBulk is the most passes one POST /api/templates/{id}/passes makes.
const MaxTemplateBulk = 1000

// EndpointTemplatePasses is the creating endpoint of template passes.
const EndpointTemplatePasses Endpoint = "POST /api/templates/{id}/passes"

// templateIssue is what create adds to passes made from a template.
type templateIssue struct {
	id     string
	rev    int64
	values [][]byte
	// lazy leaves the passes unsigned: each is signed when first fetched
	// or downloaded (a bulk answer carries no pass bytes).
	lazy bool
	// fingerprint identifies the request by its body, not by the rendered
	// passes (which change with the template).
	fingerprint string
}

// IssueFromTemplate makes passes from a template: {"values": {…}} makes
// one (bulk false), {"passes": [{"values": {…}}, …]} 1–MaxTemplateBulk, all
// or nothing. Each counts one.
func (s *Service) IssueFromTemplate(ctx context.Context, a *walletwallet.Account, id string, body []byte, o CreateOptions) (_ *Created, bulk bool, err error) {
	m, err := strictObject(body, "the body")
	if err != nil {
		return nil, false, err
	}
	var entries []map[string]string
	switch {
	case len(m) == 1 && m["values"] != nil:
		v, err := stringMap(m["values"], "values")
		if err != nil {
			return nil, false, err
		}
		entries = []map[string]string{v}
	case len(m) == 1 && m["passes"] != nil:
		bulk = true
		var list []map[string]json.RawMessage
		if err := json.Unmarshal(m["passes"], &list); err != nil {
			return nil, false, invalidf(`passes must be an array of {"values": {…}} objects`)
		}
		if len(list) == 0 || len(list) > MaxTemplateBulk {
			return nil, false, invalidf("passes must hold 1 to %d entries (got %d)", MaxTemplateBulk, len(list))
		}
		for i, e := range list {
			for _, k := range sortedKeys(e) {
				if k != "values" {
					return nil, false, inEntry(i, invalidf("unknown field %q: an entry has only values", k))
				}
			}
			v := map[string]string{}
			if raw, ok := e["values"]; ok {
				if v, err = stringMap(raw, "values"); err != nil {
					return nil, false, inEntry(i, err)
				}
			}
			entries = append(entries, v)
		}
	default:
		return nil, false, invalidf(`the body must be {"values": {…}} for one pass or {"passes": [{"values": {…}}, …]} for up to %d`, MaxTemplateBulk)
	}
	_, bodyHash, _ := pkpass.Canonical(body)
	o.Endpoint = EndpointTemplatePasses
	for attempt := 0; ; attempt++ {
		c, err := s.issueOnce(ctx, a, id, entries, bulk, fingerprint(o.Endpoint, []string{id, bodyHash}), o)
		if errors.Is(err, walletwallet.ErrTemplateChanged) && attempt < 5 {
			continue // rendered from a design that changed meanwhile
		}
		return c, bulk, err
	}
}

func (s *Service) issueOnce(ctx context.Context, a *walletwallet.Account, id string, entries []map[string]string, bulk bool, fp string, o CreateOptions) (*Created, error) {
	now := s.Now()
	v, err := s.OwnedTemplate(ctx, a, id)
	if err != nil {
		return nil, err
	}
	plan := a.EffectivePlan(now)
	n := len(entries)
	reqs, canons, hashes := make([]*pkpass.Request, n), make([][]byte, n), make([]string, n)
	ti := &templateIssue{id: id, rev: v.Rev, values: make([][]byte, n), lazy: bulk, fingerprint: fp}
	for i, vals := range entries {
		err := func() error {
			if k := v.Design.Unknown(vals); k != "" {
				return invalidf("values.%s is not a placeholder of this template (placeholders: %s)", k, orNone(v.Design.List()))
			}
			body, _, err := v.Design.Render(placeholder.With(vals, v.Defaults))
			var miss *placeholder.MissingError
			if errors.As(err, &miss) {
				return invalidf("%s", miss.Error())
			}
			if err != nil {
				return err
			}
			if reqs[i], canons[i], hashes[i], err = pkpass.ParseCanonical(body); err != nil {
				return err
			}
			ti.values[i] = placeholder.EncodeValues(vals)
			return reqs[i].CheckPlan(plan)
		}()
		if err != nil {
			if bulk {
				return nil, inEntry(i, err)
			}
			return nil, err
		}
	}
	return s.createPasses(ctx, a, reqs, canons, hashes, o, now, ti)
}

// valuesPatch is a PATCH of a template pass: {"values": {…}} merged into
// its values (null removes one, so its default applies), then rendered
// from the template's current design and validated like a POST.
func (s *Service) valuesPatch(ctx context.Context, a *walletwallet.Account, p *walletwallet.Pass, pm map[string]any, now time.Time) (*version, error) {
	for _, k := range sortedKeys(pm) {
		if k != "values" {
			return nil, invalidf(`a pass made from template %s changes only through {"values": {…}} (got %q); change the design with PATCH /api/templates/%s`, p.TemplateID, k, p.TemplateID)
		}
	}
	t, err := s.Templates.Template(ctx, p.TemplateID)
	if err != nil {
		return nil, err
	}
	c, err := s.Renderer.compile(t)
	if err != nil {
		return nil, err
	}
	vals, err := placeholder.ParseValues(p.Values)
	if err != nil {
		return nil, err
	}
	switch patch := pm["values"].(type) {
	case nil:
		vals = map[string]string{}
	case map[string]any:
		for _, k := range sortedKeys(patch) {
			switch x := patch[k].(type) {
			case nil:
				delete(vals, k)
			case string:
				if !c.design.Has(k) {
					return nil, invalidf("values.%s is not a placeholder of this template (placeholders: %s)", k, orNone(c.design.List()))
				}
				vals[k] = x
			default:
				return nil, invalidf("values.%s must be a string (or null to use the default)", k)
			}
		}
	default:
		return nil, invalidf("values must be an object of placeholder names to strings")
	}
	body, _, err := c.design.Render(placeholder.With(vals, c.defaults))
	var miss *placeholder.MissingError
	if errors.As(err, &miss) {
		return nil, invalidf("%s", miss.Error())
	}
	if err != nil {
		return nil, err
	}
	req, canon, hash, err := pkpass.ParseCanonical(body)
	if err == nil {
		err = req.CheckPlan(a.EffectivePlan(now))
	}
	if err != nil {
		return nil, afterValues(err)
	}
	return &version{req: req, canon: canon, hash: hash, values: placeholder.EncodeValues(vals), rev: t.Rev}, nil
}

// afterValues says that a rule was broken by the body rendered with the
// patched values.
func afterValues(err error) error {
	var e *walletwallet.Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Message = e.Message + " (in the body rendered from the template with these values)"
	return &c
}
