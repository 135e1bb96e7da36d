package api

import (
	"context"
	"hash/fnv"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/issuer"
	"github.com/walletwallet/walletwallet/internal/jsonhttp"
	"github.com/walletwallet/walletwallet/internal/pkpass"
)

// parseRequest authenticates, reads and validates a POST or PUT body, and
// applies the plan gate.
func (s *server) parseRequest(w http.ResponseWriter, r *http.Request, now time.Time) (*walletwallet.Account, *pkpass.Request, []byte, string, error) {
	a, err := s.authenticate(r)
	if err != nil {
		return nil, nil, nil, "", err
	}
	body, err := readJSON(w, r)
	if err != nil {
		return nil, nil, nil, "", err
	}
	req, canon, hash, err := pkpass.ParseCanonical(body)
	if err != nil {
		return nil, nil, nil, "", err
	}
	if err := req.CheckPlan(a.EffectivePlan(now)); err != nil {
		return nil, nil, nil, "", err
	}
	return a, req, canon, hash, nil
}

func (s *server) createPass(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	now := s.Now()
	a, req, canon, hash, err := s.parseRequest(w, r, now)
	if err != nil {
		return err
	}
	q, err := s.checkQuota(ctx, a, now)
	if err != nil {
		return err
	}
	// Millisecond precision is what the web service's tags carry.
	issued := now.UTC().Truncate(time.Millisecond)
	p := &walletwallet.Pass{
		PassTypeID:   s.PassTypeID,
		Serial:       issuer.NewSerial(),
		AuthToken:    issuer.NewAuthToken(),
		AccountID:    a.ID,
		Request:      canon,
		Hash:         hash,
		FirstIssued:  issued,
		LastModified: issued,
	}
	p.Blob, err = s.Builder.Build(ctx, req, issuer.Meta{Serial: p.Serial, AuthToken: p.AuthToken, FirstIssued: issued, AccountOrg: a.Org})
	if err != nil {
		return err
	}
	if err := s.Store.CreatePass(ctx, p, q); err != nil {
		if walletwallet.ErrorCode(err) == walletwallet.EQUOTA {
			return quotaError(now)
		}
		return err
	}
	writePass(w, req.Slug(), p.Serial, p.Blob)
	return nil
}

func writePass(w http.ResponseWriter, slug, serial string, blob []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/vnd.apple.pkpass")
	h.Set("Content-Disposition", `attachment; filename="`+slug+`.pkpass"`)
	h.Set("X-Serial-Number", serial)
	h.Set("Content-Length", strconv.Itoa(len(blob)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(blob)
}

type updateAnswer struct {
	SerialNumber    string `json:"serialNumber"`
	LastUpdated     int64  `json:"lastUpdated"`
	NotifiedDevices int    `json:"notifiedDevices"`
	Unchanged       bool   `json:"unchanged"`
}

func (s *server) updatePass(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	now := s.Now()
	serial := r.PathValue("serial")
	a, req, canon, hash, err := s.parseRequest(w, r, now)
	if err != nil {
		return err
	}
	// PUTs to one pass are serialized in this process, so they do not race
	// each other into the store's stale check (each attempt signs a pass). A
	// PUT on another instance can still change the pass between our read
	// and our write: the store then says ECONFLICT and we start over.
	mu := s.passLock(serial)
	mu.Lock()
	defer mu.Unlock()
	for attempt := 0; ; attempt++ {
		ans, err := s.updateOnce(ctx, a, req, canon, hash, serial, now)
		if walletwallet.ErrorCode(err) == walletwallet.ECONFLICT && attempt < 5 {
			continue
		}
		if err != nil {
			return err
		}
		if ans.NotifiedDevices > 0 {
			s.PushEnqueued()
		}
		writeJSON(w, ans)
		return nil
	}
}

func (s *server) updateOnce(ctx context.Context, a *walletwallet.Account, req *pkpass.Request, canon []byte, hash, serial string, now time.Time) (*updateAnswer, error) {
	notFound := walletwallet.Errorf(walletwallet.ENOTFOUND, "no pass with serial number %q", serial)
	p, err := s.ownedPass(ctx, a, serial, "update")
	if err != nil {
		return nil, err
	}
	if p.Hash == hash {
		return &updateAnswer{SerialNumber: serial, LastUpdated: p.LastModified.UnixMilli(), Unchanged: true}, nil
	}
	q, err := s.checkQuota(ctx, a, now)
	if err != nil {
		return nil, err
	}
	modified := nextVersionTime(p.LastModified, now)
	blob, err := s.Builder.Build(ctx, req, issuer.Meta{Serial: p.Serial, AuthToken: p.AuthToken, FirstIssued: p.FirstIssued, AccountOrg: a.Org})
	if err != nil {
		return nil, err
	}
	res, err := s.Store.UpdatePass(ctx, &walletwallet.PassUpdate{
		PassTypeID:   s.PassTypeID,
		Serial:       serial,
		AccountID:    a.ID,
		Request:      canon,
		Hash:         hash,
		PrevHash:     p.Hash,
		LastModified: modified,
		Blob:         blob,
	}, q)
	switch walletwallet.ErrorCode(err) {
	case "":
	case walletwallet.EQUOTA:
		return nil, quotaError(now)
	case walletwallet.ENOTFOUND:
		return nil, notFound
	default:
		return nil, err
	}
	if res.Unchanged {
		return &updateAnswer{SerialNumber: serial, LastUpdated: res.LastModified.UnixMilli(), Unchanged: true}, nil
	}
	return &updateAnswer{SerialNumber: serial, LastUpdated: res.LastModified.UnixMilli(), NotifiedDevices: res.NotifiedDevices}, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	jsonhttp.WriteJSON(w, http.StatusOK, v)
}

// nextVersionTime stamps a new version of a pass last modified at prev.
// Devices revalidate with If-Modified-Since, an HTTP date of whole seconds,
// so each version gets a later second than the one before: a device holding
// version 1 must never be told 304 for a version 2 of the same second. Under
// more than one change a second to one pass the stamp runs ahead of the
// clock by at most the backlog, and catches up when the changes slow down.
func nextVersionTime(prev, now time.Time) time.Time {
	t := now.UTC().Truncate(time.Millisecond)
	if floor := prev.Truncate(time.Second).Add(time.Second); t.Before(floor) {
		t = floor
	}
	return t
}

// passLock returns the lock serializing PUTs to serial: one of a fixed set,
// chosen by hash, so the set never grows.
func (s *server) passLock(serial string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(serial))
	return &s.putLocks[h.Sum32()%uint32(len(s.putLocks))]
}
