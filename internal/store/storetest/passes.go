package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

func init() {
	register("passes",
		testCase{"round trip", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			p := passFor(a, `{"a":1}`)
			mustNil(t, s.CreatePass(ctx, p, bigQuota))
			got, err := s.Pass(ctx, p.PassTypeID, p.Serial)
			mustNil(t, err)
			if got.PassTypeID != p.PassTypeID || got.Serial != p.Serial || got.AuthToken != p.AuthToken ||
				got.AccountID != a.ID || got.Hash != p.Hash {
				t.Fatalf("Pass = %+v, want %+v", got, p)
			}
			wantBytes(t, "Request", got.Request, p.Request)
			wantBytes(t, "Blob", got.Blob, p.Blob)
			wantTime(t, "FirstIssued", got.FirstIssued, t0)
			wantTime(t, "LastModified", got.LastModified, t0)
		}},
		testCase{"missing blob stays nil", func(t *testing.T, s walletwallet.Store) {
			p := passFor(newAccount(t, s, 0), `{}`)
			p.Blob = nil
			mustNil(t, s.CreatePass(context.Background(), p, bigQuota))
			got, err := s.Pass(context.Background(), p.PassTypeID, p.Serial)
			mustNil(t, err)
			if got.Blob != nil {
				t.Fatalf("Blob = %q, want nil", got.Blob)
			}
		}},
		testCase{"unknown pass", func(t *testing.T, s walletwallet.Store) {
			_, err := s.Pass(context.Background(), PassTypeID, NewSerial())
			wantCode(t, err, walletwallet.ENOTFOUND)
		}},
		testCase{"quota reached writes nothing", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			q := walletwallet.Quota{Month: "2026-11", Limit: 2}
			mustNil(t, s.CreatePass(ctx, passFor(a, `{}`), q))
			mustNil(t, s.CreatePass(ctx, passFor(a, `{}`), q))
			over := passFor(a, `{}`)
			wantCode(t, s.CreatePass(ctx, over, q), walletwallet.EQUOTA)
			if n, err := s.Usage(ctx, a.ID, q.Month); err != nil || n != 2 {
				t.Fatalf("Usage = %d, %v; want 2", n, err)
			}
			_, err := s.Pass(ctx, over.PassTypeID, over.Serial)
			wantCode(t, err, walletwallet.ENOTFOUND)
		}},
		testCase{"zero limit refuses", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			q := walletwallet.Quota{Month: "2026-11", Limit: 0}
			wantCode(t, s.CreatePass(ctx, passFor(a, `{}`), q), walletwallet.EQUOTA)
			if n, err := s.Usage(ctx, a.ID, q.Month); err != nil || n != 0 {
				t.Fatalf("Usage = %d, %v; want 0", n, err)
			}
		}},
		testCase{"concurrent creates stop exactly at the limit", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			q := walletwallet.Quota{Month: "2026-11", Limit: 20}
			const n = 60
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { errs[i] = s.CreatePass(ctx, passFor(a, `{}`), q) })
			}
			wg.Wait()
			ok, over := 0, 0
			for _, err := range errs {
				switch walletwallet.ErrorCode(err) {
				case "":
					ok++
				case walletwallet.EQUOTA:
					over++
				default:
					t.Errorf("unexpected error: %v", err)
				}
			}
			if ok != 20 || over != 40 {
				t.Fatalf("%d succeeded and %d hit the quota, want 20 and 40", ok, over)
			}
			if got, err := s.Usage(ctx, a.ID, q.Month); err != nil || got != 20 {
				t.Fatalf("Usage = %d, %v; want 20", got, err)
			}
		}},
	)

	register("update",
		testCase{"outcomes", testUpdateOutcomes},
		testCase{"blob replaced and stale SetBlob ignored", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			p := newPass(t, s, newAccount(t, s, 0))
			u := changeOf(p, `{"v":1}`, t0.Add(time.Second))
			res, err := s.UpdatePass(ctx, u, bigQuota)
			mustNil(t, err)
			got, err := s.Pass(ctx, p.PassTypeID, p.Serial)
			mustNil(t, err)
			wantBytes(t, "Blob after update", got.Blob, u.Blob)
			wantBytes(t, "Request after update", got.Request, u.Request)
			if got.Hash != u.Hash {
				t.Fatalf("Hash = %q, want %q", got.Hash, u.Hash)
			}
			wantTime(t, "LastModified", got.LastModified, res.LastModified)
			wantTime(t, "FirstIssued", got.FirstIssued, t0)

			mustNil(t, s.SetBlob(ctx, p.PassTypeID, p.Serial, t0, []byte("stale")))
			got, err = s.Pass(ctx, p.PassTypeID, p.Serial)
			mustNil(t, err)
			wantBytes(t, "Blob after stale SetBlob", got.Blob, u.Blob)

			mustNil(t, s.SetBlob(ctx, p.PassTypeID, p.Serial, res.LastModified, []byte("rebuilt")))
			got, err = s.Pass(ctx, p.PassTypeID, p.Serial)
			mustNil(t, err)
			wantBytes(t, "Blob after current SetBlob", got.Blob, []byte("rebuilt"))
		}},
		testCase{"a version without a blob hides the last one's", func(t *testing.T, s walletwallet.Store) {
			// A store may keep an old version's blob around, but never
			// answers it for a later version (a device would install the
			// old pass under the new version's tag).
			ctx := context.Background()
			p := newPass(t, s, newAccount(t, s, 0))
			u := changeOf(p, `{"v":1}`, t0.Add(time.Second))
			u.Blob = nil
			res, err := s.UpdatePass(ctx, u, bigQuota)
			mustNil(t, err)
			if got := mustPass(t, s, p); got.Blob != nil {
				t.Fatalf("Blob after an update without one = %q, want nil (the first version's was %q)", got.Blob, p.Blob)
			}
			mustNil(t, s.SetBlob(ctx, p.PassTypeID, p.Serial, res.LastModified, []byte("rebuilt")))
			wantBytes(t, "Blob after SetBlob", mustPass(t, s, p).Blob, []byte("rebuilt"))
			u2 := changeOf(p, `{"v":2}`, t0.Add(2*time.Second))
			u2.PrevHash, u2.Blob = u.Hash, nil
			_, err = s.UpdatePass(ctx, u2, bigQuota)
			mustNil(t, err)
			if got := mustPass(t, s, p); got.Blob != nil {
				t.Fatalf("Blob after a second update without one = %q, want nil", got.Blob)
			}
		}},
		testCase{"last-modified only moves forward", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			p := newPass(t, s, newAccount(t, s, 0))
			// The same millisecond as the issue: a device that saw t0 must still see the change.
			res, err := s.UpdatePass(ctx, changeOf(p, `{"v":1}`, t0), bigQuota)
			mustNil(t, err)
			if !res.LastModified.After(t0) {
				t.Fatalf("LastModified = %v, want after %v", res.LastModified, t0)
			}
		}},
	)
}

func testUpdateOutcomes(t *testing.T, s walletwallet.Store) {
	ctx := context.Background()
	later := t0.Add(90 * time.Second)
	for _, c := range []struct {
		name string
		// edit turns the valid change of a fresh pass with limit 5 into the case.
		edit        func(u *walletwallet.PassUpdate, p *walletwallet.Pass)
		devices     int
		limit       int64
		wantCode    string
		wantWritten bool
		wantResult  walletwallet.UpdateResult
	}{
		{name: "changed without devices", limit: 5, wantWritten: true,
			wantResult: walletwallet.UpdateResult{LastModified: later}},
		{name: "changed with three devices", limit: 5, devices: 3, wantWritten: true,
			wantResult: walletwallet.UpdateResult{LastModified: later, NotifiedDevices: 3}},
		{name: "unchanged", limit: 5, devices: 2,
			edit: func(u *walletwallet.PassUpdate, p *walletwallet.Pass) {
				u.Request, u.Hash, u.PrevHash = p.Request, p.Hash, p.Hash
			},
			wantResult: walletwallet.UpdateResult{Unchanged: true, LastModified: t0}},
		{name: "stale", limit: 5, devices: 1, wantCode: walletwallet.ECONFLICT,
			edit: func(u *walletwallet.PassUpdate, p *walletwallet.Pass) { u.PrevHash = hashOf([]byte("older")) }},
		{name: "other owner", limit: 5, devices: 1, wantCode: walletwallet.EFORBIDDEN,
			edit: func(u *walletwallet.PassUpdate, p *walletwallet.Pass) { u.AccountID = p.AccountID + 1000 }},
		{name: "unknown serial", limit: 5, wantCode: walletwallet.ENOTFOUND,
			edit: func(u *walletwallet.PassUpdate, p *walletwallet.Pass) { u.Serial = NewSerial() }},
		{name: "quota reached", limit: 1, devices: 1, wantCode: walletwallet.EQUOTA},
		{name: "quota reached without devices", limit: 1, wantCode: walletwallet.EQUOTA},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newAccount(t, s, 0)
			q := walletwallet.Quota{Month: walletwallet.Month(t0), Limit: c.limit}
			p := passFor(a, `{"v":0}`)
			mustNil(t, s.CreatePass(ctx, p, q)) // counts 1
			for range c.devices {
				registerDevice(t, s, p, NewSerial(), NewSerial())
			}
			jobsBefore, err := s.PendingPushJobs(ctx)
			mustNil(t, err)

			u := changeOf(p, `{"v":1}`, later)
			if c.edit != nil {
				c.edit(u, p)
			}
			res, err := s.UpdatePass(ctx, u, q)
			wantCode(t, err, c.wantCode)
			if err == nil {
				if res.Unchanged != c.wantResult.Unchanged || res.NotifiedDevices != c.wantResult.NotifiedDevices {
					t.Fatalf("result = %+v, want %+v", res, c.wantResult)
				}
				wantTime(t, "result LastModified", res.LastModified, c.wantResult.LastModified)
			}

			stored, err := s.Pass(ctx, p.PassTypeID, p.Serial)
			mustNil(t, err)
			wantUsage, wantHash, wantLM, wantJobs := int64(1), p.Hash, t0, jobsBefore
			if c.wantWritten {
				wantUsage, wantHash, wantLM = 2, u.Hash, later
				if c.devices > 0 {
					wantJobs++
				}
			}
			if stored.Hash != wantHash {
				t.Errorf("stored hash = %q, want %q", stored.Hash, wantHash)
			}
			wantTime(t, "stored LastModified", stored.LastModified, wantLM)
			if n, err := s.Usage(ctx, a.ID, q.Month); err != nil || n != wantUsage {
				t.Errorf("Usage = %d, %v; want %d", n, err, wantUsage)
			}
			if n, err := s.PendingPushJobs(ctx); err != nil || n != wantJobs {
				t.Errorf("PendingPushJobs = %d, %v; want %d", n, err, wantJobs)
			}
		})
	}
}
