package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/jsonhttp"
	"github.com/walletwallet/walletwallet/internal/passes"
)

// The /api/templates resource: a design with {{placeholders}}, the passes
// made from it, and a change that reaches all of them. The rules are the
// passes package's; these handlers only translate HTTP.

func registerTemplates(rt *jsonhttp.Router, s *server) {
	rt.Handle(http.MethodPost, "/api/templates", jsonhttp.HandlerFunc(s.createTemplate))
	rt.Handle(http.MethodGet, "/api/templates", jsonhttp.HandlerFunc(s.listTemplates))
	rt.Handle(http.MethodGet, "/api/templates/{templateID}", jsonhttp.HandlerFunc(s.getTemplate))
	rt.Handle(http.MethodPut, "/api/templates/{templateID}", jsonhttp.HandlerFunc(s.replaceTemplate))
	rt.Handle(http.MethodPatch, "/api/templates/{templateID}", jsonhttp.HandlerFunc(s.patchTemplate))
	rt.Handle(http.MethodDelete, "/api/templates/{templateID}", jsonhttp.HandlerFunc(s.deleteTemplate))
	rt.Handle(http.MethodPost, "/api/templates/{templateID}/passes", jsonhttp.HandlerFunc(s.issueFromTemplate))
}

type templateSummary struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Placeholders []string `json:"placeholders"`
	Passes       int      `json:"passes"`
	Devices      int      `json:"devices"`
	CreatedAt    int64    `json:"createdAt"`
	UpdatedAt    int64    `json:"updatedAt"`
}

type templateAnswer struct {
	templateSummary
	Pass     json.RawMessage   `json:"pass"`
	Defaults map[string]string `json:"defaults"`
}

func summaryOf(v *passes.TemplateView) templateSummary {
	names := v.Design.Names()
	if names == nil {
		names = []string{}
	}
	return templateSummary{
		ID: v.ID, Name: v.Name, Placeholders: names, Passes: v.Passes, Devices: v.Devices,
		CreatedAt: v.CreatedAt.UnixMilli(), UpdatedAt: v.UpdatedAt.UnixMilli(),
	}
}

func (s *server) createTemplate(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	v, err := s.passes.CreateTemplate(r.Context(), a, body)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/templates/"+v.ID)
	jsonhttp.WriteJSON(w, http.StatusCreated, summaryOf(v))
	return nil
}

func (s *server) listTemplates(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	if len(r.URL.Query()) > 0 {
		return walletwallet.Errorf(walletwallet.EINVALID, "GET /api/templates takes no query parameters")
	}
	vs, err := s.passes.ListTemplates(r.Context(), a)
	if err != nil {
		return err
	}
	out := struct {
		Templates []templateSummary `json:"templates"`
	}{Templates: make([]templateSummary, len(vs))}
	for i := range vs {
		out.Templates[i] = summaryOf(&vs[i])
	}
	writeJSON(w, out)
	return nil
}

func (s *server) getTemplate(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	v, err := s.passes.GetTemplate(r.Context(), a, r.PathValue("templateID"))
	if err != nil {
		return err
	}
	writeJSON(w, templateAnswer{templateSummary: summaryOf(v), Pass: json.RawMessage(v.Template.Design), Defaults: v.Defaults})
	return nil
}

type templateUpdatedAnswer struct {
	ID              string `json:"id"`
	UpdatedPasses   int    `json:"updatedPasses"`
	NotifiedDevices int    `json:"notifiedDevices"`
}

func writeTemplateUpdated(w http.ResponseWriter, u *passes.TemplateUpdated) {
	writeJSON(w, templateUpdatedAnswer{ID: u.ID, UpdatedPasses: u.UpdatedPasses, NotifiedDevices: u.NotifiedDevices})
}

func (s *server) replaceTemplate(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	u, err := s.passes.ReplaceTemplate(r.Context(), a, r.PathValue("templateID"), body)
	if err != nil {
		return err
	}
	writeTemplateUpdated(w, u)
	return nil
}

func (s *server) patchTemplate(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	patch, err := readPatch(w, r)
	if err != nil {
		return err
	}
	u, err := s.passes.PatchTemplate(r.Context(), a, r.PathValue("templateID"), patch)
	if err != nil {
		return err
	}
	writeTemplateUpdated(w, u)
	return nil
}

func (s *server) deleteTemplate(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	if err := s.passes.DeleteTemplate(r.Context(), a, r.PathValue("templateID")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type issuedEntry struct {
	SerialNumber string `json:"serialNumber"`
	ShareURL     string `json:"shareUrl"`
}

type issuedSingle struct {
	createdAnswer
	TemplateID string `json:"templateId"`
}

// issueFromTemplate is POST /api/templates/{templateID}/passes: one pass answered
// as POST /api/passes, or a bulk answered with serials and links (the
// passes are signed when first fetched).
func (s *server) issueFromTemplate(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	o, err := createOptions(r, passes.EndpointTemplatePasses)
	if err != nil {
		return err
	}
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	id := r.PathValue("templateID")
	c, bulk, err := s.passes.IssueFromTemplate(r.Context(), a, id, body, o)
	if err != nil {
		return err
	}
	defer c.Recycle() // after the answer is written
	markReplayed(w, c)
	if bulk {
		out := struct {
			Passes []issuedEntry `json:"passes"`
		}{Passes: make([]issuedEntry, len(c.Passes))}
		for i, p := range c.Passes {
			out.Passes[i] = issuedEntry{SerialNumber: p.Serial, ShareURL: s.passes.ShareURL(p)}
		}
		jsonhttp.WriteJSON(w, http.StatusCreated, out)
		return nil
	}
	p := c.Passes[0]
	blob, err := s.passes.Blob(r.Context(), p)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/passes/"+p.Serial)
	jsonhttp.WriteJSON(w, http.StatusCreated, issuedSingle{
		createdAnswer: createdAnswer{
			SerialNumber: p.Serial,
			LastUpdated:  p.LastModified.UnixMilli(),
			ShareURL:     s.passes.ShareURL(p),
			ApplePass:    base64.StdEncoding.EncodeToString(blob),
		},
		TemplateID: p.TemplateID,
	})
	return nil
}
