package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/jsonhttp"
	"github.com/walletwallet/walletwallet/internal/passes"
)

// The /api/passes resource: a pass as JSON, with its life (read, list,
// replace, patch, void). The rules are the passes package's; these handlers
// only translate HTTP.

// idempotencyKey reads the optional Idempotency-Key header; sent twice it
// is a 400, since the two could disagree.
func idempotencyKey(r *http.Request) (string, bool, error) {
	vals := r.Header.Values("Idempotency-Key")
	switch len(vals) {
	case 0:
		return "", false, nil
	case 1:
		return vals[0], true, passes.CheckIdempotencyKey(vals[0])
	}
	return "", false, walletwallet.Errorf(walletwallet.EINVALID, "Idempotency-Key must be sent once")
}

// createOptions reads what a creating request may add to its body.
func createOptions(r *http.Request, e passes.Endpoint) (passes.CreateOptions, error) {
	key, _, err := idempotencyKey(r)
	return passes.CreateOptions{IdempotencyKey: key, Endpoint: e}, err
}

func markReplayed(w http.ResponseWriter, c *passes.Created) {
	if c.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
}

type createdAnswer struct {
	SerialNumber string `json:"serialNumber"`
	LastUpdated  int64  `json:"lastUpdated"`
	ShareURL     string `json:"shareUrl"`
	ApplePass    string `json:"applePass,omitempty"`
}

// CreatedAnswer is the JSON of POST /api/passes for p, with its signed
// bundle as applePass (left out when blob is nil: the create_pass tool
// gives the share link instead of the file).
func CreatedAnswer(svc *passes.Service, p *walletwallet.Pass, blob []byte) any {
	a := createdAnswer{SerialNumber: p.Serial, LastUpdated: p.LastModified.UnixMilli(), ShareURL: svc.ShareURL(p)}
	if blob != nil {
		a.ApplePass = base64.StdEncoding.EncodeToString(blob)
	}
	return a
}

// createPassJSON is POST /api/passes: POST /api/pkpass's rules, a JSON answer.
func (s *server) createPassJSON(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	o, err := createOptions(r, passes.EndpointPasses)
	if err != nil {
		return err
	}
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	c, err := s.passes.Create(r.Context(), a, body, o)
	if err != nil {
		return err
	}
	defer c.Recycle() // after the answer is written
	p := c.Passes[0]
	blob, err := s.passes.Blob(r.Context(), p)
	if err != nil {
		return err
	}
	markReplayed(w, c)
	w.Header().Set("Location", "/api/passes/"+p.Serial)
	jsonhttp.WriteJSON(w, http.StatusCreated, CreatedAnswer(s.passes, p, blob))
	return nil
}

type passStatus string

func statusOf(voided bool) passStatus {
	if voided {
		return passStatus(walletwallet.StatusVoided)
	}
	return passStatus(walletwallet.StatusActive)
}

type passAnswer struct {
	SerialNumber       string          `json:"serialNumber"`
	PassTypeIdentifier string          `json:"passTypeIdentifier"`
	Status             passStatus      `json:"status"`
	CreatedAt          int64           `json:"createdAt"`
	LastUpdated        int64           `json:"lastUpdated"`
	Devices            int             `json:"devices"`
	Installs           int             `json:"installs"`
	ShareURL           string          `json:"shareUrl"`
	TemplateID         *string         `json:"templateId"`
	Request            json.RawMessage `json:"request"`
}

func (s *server) getPass(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	p, err := s.passes.Get(r.Context(), a, r.PathValue("serial"))
	if err != nil {
		return err
	}
	writeJSON(w, PassAnswer(s.passes, p))
	return nil
}

// PassAnswer is the JSON of GET /api/passes/{serial} (and of get_pass).
func PassAnswer(svc *passes.Service, p *walletwallet.Pass) any {
	return passAnswer{
		SerialNumber:       p.Serial,
		PassTypeIdentifier: p.PassTypeID,
		Status:             statusOf(p.Voided),
		CreatedAt:          p.FirstIssued.UnixMilli(),
		LastUpdated:        p.LastModified.UnixMilli(),
		Devices:            p.Devices,
		Installs:           p.Installs,
		ShareURL:           svc.ShareURL(p),
		TemplateID:         optional(p.TemplateID),
		// The stored canonical body is JSON: it is sent as the object it is.
		Request: json.RawMessage(p.Request),
	}
}

type listEntry struct {
	SerialNumber string     `json:"serialNumber"`
	Status       passStatus `json:"status"`
	CreatedAt    int64      `json:"createdAt"`
	LastUpdated  int64      `json:"lastUpdated"`
	Devices      int        `json:"devices"`
	TemplateID   *string    `json:"templateId"`
}

type listAnswer struct {
	Passes     []listEntry `json:"passes"`
	NextCursor *string     `json:"nextCursor"`
}

// listParams are the query parameters GET /api/passes reads; others are
// refused like unknown body fields.
var listParams = []string{"limit", "cursor", "status"}

func (s *server) listPasses(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	for k, vs := range q {
		known := false
		for _, p := range listParams {
			known = known || k == p
		}
		if !known {
			return walletwallet.Errorf(walletwallet.EINVALID, "unknown query parameter %q: only limit, cursor and status", k)
		}
		if len(vs) > 1 {
			return walletwallet.Errorf(walletwallet.EINVALID, "%s must be given once", k)
		}
	}
	page, err := s.passes.List(r.Context(), a, passes.ListOptions{Limit: q.Get("limit"), Cursor: q.Get("cursor"), Status: q.Get("status")})
	if err != nil {
		return err
	}
	writeJSON(w, ListAnswer(page))
	return nil
}

// ListAnswer is the JSON of GET /api/passes (and of list_passes).
func ListAnswer(page *passes.Page) any {
	ans := listAnswer{Passes: make([]listEntry, len(page.Passes))}
	for i, p := range page.Passes {
		ans.Passes[i] = listEntry{
			SerialNumber: p.Serial,
			Status:       statusOf(p.Voided),
			CreatedAt:    p.FirstIssued.UnixMilli(),
			LastUpdated:  p.LastModified.UnixMilli(),
			Devices:      p.Devices,
			TemplateID:   optional(p.TemplateID),
		}
	}
	if page.NextCursor != "" {
		ans.NextCursor = &page.NextCursor
	}
	return ans
}

type updateAnswer struct {
	SerialNumber    string `json:"serialNumber"`
	LastUpdated     int64  `json:"lastUpdated"`
	NotifiedDevices int    `json:"notifiedDevices"`
	Unchanged       bool   `json:"unchanged"`
}

func writeUpdated(w http.ResponseWriter, u *passes.Updated) {
	writeJSON(w, UpdatedAnswer(u))
}

// UpdatedAnswer is the JSON of a PUT or PATCH (and of update_pass, patch_pass).
func UpdatedAnswer(u *passes.Updated) any {
	return updateAnswer{
		SerialNumber:    u.Serial,
		LastUpdated:     u.LastModified.UnixMilli(),
		NotifiedDevices: u.NotifiedDevices,
		Unchanged:       u.Unchanged,
	}
}

// updatePass is PUT on /api/pkpass/{serial} and /api/passes/{serial}.
func (s *server) updatePass(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	u, err := s.passes.Update(r.Context(), a, r.PathValue("serial"), body)
	if err != nil {
		return err
	}
	writeUpdated(w, u)
	return nil
}

// patchPass is PATCH on /api/pkpass/{serial} and /api/passes/{serial}.
func (s *server) patchPass(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	patch, err := readPatch(w, r)
	if err != nil {
		return err
	}
	u, err := s.passes.Patch(r.Context(), a, r.PathValue("serial"), patch)
	if err != nil {
		return err
	}
	writeUpdated(w, u)
	return nil
}

type voidAnswer struct {
	SerialNumber    string     `json:"serialNumber"`
	LastUpdated     int64      `json:"lastUpdated"`
	NotifiedDevices int        `json:"notifiedDevices"`
	Status          passStatus `json:"status"`
}

func (s *server) voidPass(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	u, err := s.passes.Void(r.Context(), a, r.PathValue("serial"))
	if err != nil {
		return err
	}
	writeJSON(w, VoidAnswer(u))
	return nil
}

// VoidAnswer is the JSON of DELETE /api/passes/{serial} (and of void_pass).
func VoidAnswer(u *passes.Updated) any {
	return voidAnswer{
		SerialNumber:    u.Serial,
		LastUpdated:     u.LastModified.UnixMilli(),
		NotifiedDevices: u.NotifiedDevices,
		Status:          statusOf(true),
	}
}

// optional is a JSON string, or null for "".
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func writeJSON(w http.ResponseWriter, v any) {
	jsonhttp.WriteJSON(w, http.StatusOK, v)
}
