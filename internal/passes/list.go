package passes

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/walletwallet/walletwallet"
)

// Listing limits.
const (
	DefaultListLimit = 50
	MaxListLimit     = 200
)

// ListOptions are a listing request as a client sends it; List checks them
// like a body.
type ListOptions struct {
	Limit  string // "" = DefaultListLimit
	Cursor string // "" = from the newest
	Status string // "", "active" or "voided"
}

// Page is one page of a listing; NextCursor is "" on the last page.
type Page struct {
	Passes     []walletwallet.PassSummary
	NextCursor string
}

// List returns one page of the caller's passes, newest first.
func (s *Service) List(ctx context.Context, a *walletwallet.Account, o ListOptions) (*Page, error) {
	q := walletwallet.PassQuery{AccountID: a.ID, Limit: DefaultListLimit}
	if o.Limit != "" {
		n, err := strconv.Atoi(o.Limit)
		if err != nil || n < 1 || n > MaxListLimit {
			return nil, walletwallet.Errorf(walletwallet.EINVALID, "limit must be an integer between 1 and %d", MaxListLimit)
		}
		q.Limit = n
	}
	switch walletwallet.PassStatus(o.Status) {
	case "", walletwallet.StatusActive, walletwallet.StatusVoided:
		q.Status = walletwallet.PassStatus(o.Status)
	default:
		return nil, walletwallet.Errorf(walletwallet.EINVALID, "status must be one of: active, voided")
	}
	if o.Cursor != "" {
		c, ok := decodeCursor(o.Cursor)
		if !ok {
			return nil, walletwallet.Errorf(walletwallet.EINVALID, "cursor is not one this API returned: pass nextCursor back unchanged")
		}
		q.After = c
	}
	want := q.Limit
	// One more than asked tells whether another page follows, without a
	// cursor that leads to an empty page.
	q.Limit++
	rows, err := s.Store.ListPasses(ctx, q)
	if err != nil {
		return nil, err
	}
	if s.Renderer != nil {
		// Like every other read, a listing shows no pass behind its
		// template: the page's lagging passes are folded, then read again.
		folded, err := s.Renderer.foldListed(ctx, s.PassTypeID, rows)
		if err != nil {
			return nil, err
		}
		if folded {
			if rows, err = s.Store.ListPasses(ctx, q); err != nil {
				return nil, err
			}
		}
	}
	page := &Page{Passes: rows}
	if len(rows) > want {
		page.Passes = rows[:want]
		last := page.Passes[want-1]
		page.NextCursor = encodeCursor(&walletwallet.PassCursor{FirstIssued: last.FirstIssued, Serial: last.Serial})
	}
	return page, nil
}

// The cursor is the position (creation millisecond and serial) of the last
// pass of a page. It is opaque to clients (base64url), carries a version so
// its form can change, and names nothing a client could not see anyway.
const cursorVersion = "1"

func encodeCursor(c *walletwallet.PassCursor) string {
	raw := cursorVersion + "." + strconv.FormatInt(c.FirstIssued.UnixMilli(), 10) + "." + c.Serial
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCursor(s string) (*walletwallet.PassCursor, bool) {
	if len(s) > 128 {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	parts := strings.SplitN(string(b), ".", 3)
	if len(parts) != 3 || parts[0] != cursorVersion || !walletwallet.ValidSerial(parts[2]) {
		return nil, false
	}
	ms, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || ms < 0 {
		return nil, false
	}
	return &walletwallet.PassCursor{FirstIssued: time.UnixMilli(ms).UTC(), Serial: parts[2]}, true
}

// foldListed folds each active template pass of rows that is behind its
// template's revision, and says whether it folded any.
func (r *Renderer) foldListed(ctx context.Context, passTypeID string, rows []walletwallet.PassSummary) (bool, error) {
	revs := map[string]int64{}
	folded := false
	for _, p := range rows {
		if p.TemplateID == "" || p.Voided {
			continue
		}
		rev, ok := revs[p.TemplateID]
		if !ok {
			t, err := r.store.Template(ctx, p.TemplateID)
			if err != nil {
				return false, fmt.Errorf("template %s of pass %s: %w", p.TemplateID, p.Serial, err)
			}
			rev, revs[p.TemplateID] = t.Rev, t.Rev
		}
		if p.TemplateRev >= rev {
			continue
		}
		if _, err := r.fold(ctx, walletwallet.TemplateFold{TemplateID: p.TemplateID, PassTypeID: passTypeID, Serial: p.Serial}); err != nil {
			return false, err
		}
		folded = true
	}
	return folded, nil
}
