package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

func init() {
	register("share",
		testCase{"every pass gets a distinct share id that finds it", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			p1, p2 := newPass(t, s, a), newPass(t, s, a)
			if !walletwallet.ValidShareID(p1.ShareID) || p1.ShareID == p2.ShareID {
				t.Fatalf("share ids %q, %q", p1.ShareID, p2.ShareID)
			}
			got, err := s.PassByShareID(ctx, p1.ShareID)
			mustNil(t, err)
			if got.Serial != p1.Serial || got.ShareID != p1.ShareID {
				t.Fatalf("PassByShareID = %s/%s, want %s/%s", got.Serial, got.ShareID, p1.Serial, p1.ShareID)
			}
			got, err = s.Pass(ctx, p2.PassTypeID, p2.Serial)
			mustNil(t, err)
			if got.ShareID != p2.ShareID {
				t.Fatalf("Pass().ShareID = %q, want %q", got.ShareID, p2.ShareID)
			}
		}},
		testCase{"unknown and malformed share ids find nothing", func(t *testing.T, s walletwallet.Store) {
			newPass(t, s, newAccount(t, s, 0))
			for _, id := range []string{walletwallet.NewShareID(), "", "x", "\x00\xff", "abcdefghijklmnopqrstuvw\x00", "%"} {
				_, err := s.PassByShareID(context.Background(), id)
				wantCode(t, err, walletwallet.ENOTFOUND)
			}
		}},
	)
	register("create many",
		testCase{"all or nothing against the quota", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			q := walletwallet.Quota{Month: walletwallet.Month(t0), Limit: 5}
			mustNil(t, s.CreatePasses(ctx, []*walletwallet.Pass{passFor(a, `{}`), passFor(a, `{}`), passFor(a, `{}`)}, q, nil))
			over := []*walletwallet.Pass{passFor(a, `{}`), passFor(a, `{}`), passFor(a, `{}`)}
			wantCode(t, s.CreatePasses(ctx, over, q, nil), walletwallet.EQUOTA)
			for _, p := range over {
				_, err := s.Pass(ctx, p.PassTypeID, p.Serial)
				wantCode(t, err, walletwallet.ENOTFOUND)
			}
			wantUsage(t, s, a, 3)
			mustNil(t, s.CreatePasses(ctx, over[:2], q, nil))
			wantUsage(t, s, a, 5)
		}},
		testCase{"a batch's events come in its order", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			var ps []*walletwallet.Pass
			var want []string
			for range 12 {
				p := passFor(a, `{}`)
				ps = append(ps, p)
				want = append(want, p.Serial)
			}
			mustNil(t, s.CreatePasses(ctx, ps, bigQuota, nil))
			evs, err := s.Events(ctx, 0, 1000)
			mustNil(t, err)
			var got []string
			for _, e := range evs {
				if e.Type == walletwallet.EventPassCreated && e.AccountID == a.ID {
					got = append(got, e.Serial)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("pass.created events in order %v, want %v", got, want)
			}
		}},
		testCase{"a duplicate serial stores none of the batch", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			existing := newPass(t, s, a)
			fresh, dup := passFor(a, `{}`), passFor(a, `{}`)
			dup.Serial = existing.Serial
			err := s.CreatePasses(ctx, []*walletwallet.Pass{fresh, dup}, bigQuota, nil)
			wantCode(t, err, walletwallet.ECONFLICT)
			// The message names the serial that is taken, not another of the batch.
			if !strings.Contains(err.Error(), existing.Serial) || strings.Contains(err.Error(), fresh.Serial) {
				t.Fatalf("error %q should name %s", err, existing.Serial)
			}
			_, err = s.Pass(ctx, fresh.PassTypeID, fresh.Serial)
			wantCode(t, err, walletwallet.ENOTFOUND)
			wantUsage(t, s, a, 1)
		}},
	)
	register("list",
		testCase{"newest first, by cursor, own account only, status filter", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a, other := newAccount(t, s, 0), newAccount(t, s, 0)
			var want []string // newest first
			for i := range 23 {
				p := passFor(a, `{}`)
				// Two passes per millisecond: the serial breaks the tie.
				p.FirstIssued = t0.Add(time.Duration(i/2) * time.Millisecond)
				p.LastModified = p.FirstIssued
				mustNil(t, s.CreatePass(ctx, p, bigQuota))
				want = append(want, p.Serial)
				newPass(t, s, other)
			}
			// Sort like the contract: first_issued desc, serial desc.
			byAge := map[string]int{}
			for i, serial := range want {
				byAge[serial] = i / 2
			}
			slices.SortFunc(want, func(x, y string) int {
				if byAge[x] != byAge[y] {
					return byAge[y] - byAge[x]
				}
				if x > y {
					return -1
				}
				return 1
			})
			got := listAll(t, s, walletwallet.PassQuery{AccountID: a.ID, Limit: 5})
			if !slices.Equal(got, want) {
				t.Fatalf("listing\n got %v\nwant %v", got, want)
			}
			// Void two; the filters split the listing.
			for _, serial := range []string{want[3], want[10]} {
				p, err := s.Pass(ctx, PassTypeID, serial)
				mustNil(t, err)
				_, err = s.VoidPass(ctx, voidOf(p, t0.Add(time.Hour)))
				mustNil(t, err)
			}
			voided := listAll(t, s, walletwallet.PassQuery{AccountID: a.ID, Status: walletwallet.StatusVoided, Limit: 1})
			if !slices.Equal(voided, []string{want[3], want[10]}) {
				t.Fatalf("voided listing %v, want %v", voided, []string{want[3], want[10]})
			}
			active := listAll(t, s, walletwallet.PassQuery{AccountID: a.ID, Status: walletwallet.StatusActive, Limit: 4})
			if len(active) != 21 || slices.Contains(active, want[3]) || slices.Contains(active, want[10]) {
				t.Fatalf("active listing %v", active)
			}
			page, err := s.ListPasses(ctx, walletwallet.PassQuery{AccountID: a.ID, Limit: 1})
			mustNil(t, err)
			if len(page) != 1 || page[0].Voided || page[0].Devices != 0 || !page[0].FirstIssued.Equal(t0.Add(11*time.Millisecond)) {
				t.Fatalf("first page %+v", page)
			}
		}},
		testCase{"cursor is stable under concurrent inserts", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			var want []string
			for i := range 40 {
				p := passFor(a, `{}`)
				p.FirstIssued = t0.Add(time.Duration(i) * time.Millisecond)
				mustNil(t, s.CreatePass(ctx, p, bigQuota))
				want = append([]string{p.Serial}, want...)
			}
			// While the pages are read, other requests keep creating passes,
			// newer ones and ones stamped inside the range being paged.
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var inserted sync.Map
			for w := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						p := passFor(a, `{}`)
						p.FirstIssued = t0.Add(time.Duration(1000+i*2+w) * time.Millisecond)
						if i%3 == 0 {
							p.FirstIssued = t0.Add(time.Duration(i%40)*time.Millisecond + 500*time.Microsecond)
						}
						// Marked before it exists, so the lister never takes it
						// for a pass that was there from the start.
						inserted.Store(p.Serial, true)
						if err := s.CreatePass(ctx, p, bigQuota); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			var got []string
			var after *walletwallet.PassCursor
			seen := map[string]bool{}
			for {
				page, err := s.ListPasses(ctx, walletwallet.PassQuery{AccountID: a.ID, After: after, Limit: 3})
				mustNil(t, err)
				if len(page) == 0 {
					break
				}
				for _, p := range page {
					if seen[p.Serial] {
						t.Fatalf("pass %s listed twice", p.Serial)
					}
					seen[p.Serial] = true
					if _, ok := inserted.Load(p.Serial); !ok {
						got = append(got, p.Serial)
					}
				}
				last := page[len(page)-1]
				after = &walletwallet.PassCursor{FirstIssued: last.FirstIssued, Serial: last.Serial}
				time.Sleep(time.Millisecond)
			}
			close(stop)
			wg.Wait()
			// The first page began after some inserts: the newer ones come
			// first, and every pass that existed when paging began is listed
			// exactly once, in order.
			if !slices.Equal(got, want) {
				t.Fatalf("pre-existing passes listed as\n %v\nwant\n %v", got, want)
			}
		}},
	)
	register("void",
		testCase{"voids once, pushes, refuses later updates", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			p := newPass(t, s, a)
			registerDevice(t, s, p, "dev1", "tok1")
			registerDevice(t, s, p, "dev2", "tok2")
			jobs, err := s.PendingPushJobs(ctx)
			mustNil(t, err)
			wantUsage(t, s, a, 1)
			at := t0.Add(time.Hour)
			v := voidOf(p, at)
			res, err := s.VoidPass(ctx, v)
			mustNil(t, err)
			if res.AlreadyVoided || res.NotifiedDevices != 2 {
				t.Fatalf("VoidPass = %+v", res)
			}
			wantTime(t, "LastModified", res.LastModified, at)
			if n, err := s.PendingPushJobs(ctx); err != nil || n != jobs+1 {
				t.Fatalf("PendingPushJobs = %d, %v; want %d", n, err, jobs+1)
			}
			wantUsage(t, s, a, 1) // voiding counts nothing
			got, err := s.Pass(ctx, p.PassTypeID, p.Serial)
			mustNil(t, err)
			if !got.Voided {
				t.Fatal("pass not voided")
			}
			wantBytes(t, "Blob", got.Blob, v.Blob)
			wantTime(t, "LastModified", got.LastModified, at)
			// The voided version is reported to devices like any change.
			serials, _, err := s.UpdatedSerials(ctx, "dev1", p.PassTypeID, t0)
			mustNil(t, err)
			if !slices.Equal(serials, []string{p.Serial}) {
				t.Fatalf("UpdatedSerials = %v", serials)
			}

			again, err := s.VoidPass(ctx, voidOf(got, at.Add(time.Hour)))
			mustNil(t, err)
			if !again.AlreadyVoided || again.NotifiedDevices != 0 {
				t.Fatalf("second VoidPass = %+v", again)
			}
			wantTime(t, "LastModified after second void", again.LastModified, at)
			if n, _ := s.PendingPushJobs(ctx); n != jobs+1 {
				t.Fatalf("second void enqueued a push: %d jobs", n)
			}
			_, err = s.UpdatePass(ctx, changeOf(got, `{"v":2}`, at.Add(time.Hour)), bigQuota)
			if !errors.Is(err, walletwallet.ErrPassVoided) {
				t.Fatalf("UpdatePass on a voided pass: %v, want ErrPassVoided", err)
			}
			wantUsage(t, s, a, 1)
		}},
		testCase{"owner, stale and unknown", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a, b := newAccount(t, s, 0), newAccount(t, s, 0)
			p := newPass(t, s, a)
			v := voidOf(p, t0.Add(time.Hour))
			v.AccountID = b.ID
			_, err := s.VoidPass(ctx, v)
			wantCode(t, err, walletwallet.EFORBIDDEN)
			v = voidOf(p, t0.Add(time.Hour))
			v.PrevHash = "stale"
			_, err = s.VoidPass(ctx, v)
			wantCode(t, err, walletwallet.ECONFLICT)
			v = voidOf(p, t0.Add(time.Hour))
			v.Serial = NewSerial()
			_, err = s.VoidPass(ctx, v)
			wantCode(t, err, walletwallet.ENOTFOUND)
			got, err := s.Pass(ctx, p.PassTypeID, p.Serial)
			mustNil(t, err)
			if got.Voided {
				t.Fatal("a refused void voided the pass")
			}
		}},
		testCase{"same-millisecond void still moves last-modified forward", func(t *testing.T, s walletwallet.Store) {
			p := newPass(t, s, newAccount(t, s, 0))
			res, err := s.VoidPass(context.Background(), voidOf(p, t0))
			mustNil(t, err)
			if !res.LastModified.After(t0) {
				t.Fatalf("LastModified %v not after %v", res.LastModified, t0)
			}
		}},
	)
	register("installs",
		testCase{"devices are current registrations, installs distinct devices ever", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			p := newPass(t, s, newAccount(t, s, 0))
			registerDevice(t, s, p, "A", "ta")
			registerDevice(t, s, p, "A", "ta2") // a new token is not a new install
			registerDevice(t, s, p, "B", "tb")
			mustNil(t, s.Unregister(ctx, "A", p.PassTypeID, p.Serial))
			registerDevice(t, s, p, "A", "ta3") // back again: still the same device
			registerDevice(t, s, p, "C", "tc")
			mustNil(t, s.Unregister(ctx, "C", p.PassTypeID, p.Serial))
			got, err := s.Pass(ctx, p.PassTypeID, p.Serial)
			mustNil(t, err)
			if got.Devices != 2 || got.Installs != 3 {
				t.Fatalf("devices %d, installs %d; want 2, 3", got.Devices, got.Installs)
			}
		}},
	)
	register("idempotency",
		testCase{"claim, replay, release, expiry", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			c := &walletwallet.IdempotencyClaim{AccountID: a.ID, Key: "order-1", Fingerprint: "fp1", Token: "t1", Now: t0}
			rec, err := s.ClaimIdempotency(ctx, c)
			mustNil(t, err)
			if rec != nil {
				t.Fatalf("first claim found %+v", rec)
			}
			// While the first runs, a repeat sees it unfinished.
			rec, err = s.ClaimIdempotency(ctx, claimAt(c, "t2", t0.Add(time.Second)))
			mustNil(t, err)
			if rec == nil || rec.Done || rec.Fingerprint != "fp1" {
				t.Fatalf("claim while running = %+v", rec)
			}
			// Another account's same key is its own.
			rec, err = s.ClaimIdempotency(ctx, &walletwallet.IdempotencyClaim{AccountID: newAccount(t, s, 0).ID, Key: "order-1", Fingerprint: "x", Token: "t9", Now: t0})
			mustNil(t, err)
			if rec != nil {
				t.Fatalf("another account's claim found %+v", rec)
			}
			ps := []*walletwallet.Pass{passFor(a, `{}`), passFor(a, `{}`)}
			// Only the claimer completes.
			wantCode(t, s.CreatePasses(ctx, ps, bigQuota, &walletwallet.IdempotencyDone{AccountID: a.ID, Key: "order-1", Token: "t2"}), walletwallet.ECONFLICT)
			wantUsage(t, s, a, 0)
			mustNil(t, s.CreatePasses(ctx, ps, bigQuota, &walletwallet.IdempotencyDone{AccountID: a.ID, Key: "order-1", Token: "t1"}))
			rec, err = s.ClaimIdempotency(ctx, claimAt(c, "t3", t0.Add(23*time.Hour)))
			mustNil(t, err)
			if rec == nil || !rec.Done || !slices.Equal(rec.Serials, []string{ps[0].Serial, ps[1].Serial}) || rec.Fingerprint != "fp1" {
				t.Fatalf("replay record = %+v", rec)
			}
			wantTime(t, "CreatedAt", rec.CreatedAt, t0)
			// A done record is not released.
			mustNil(t, s.ReleaseIdempotency(ctx, a.ID, "order-1", "t1"))
			if rec, _ := s.ClaimIdempotency(ctx, claimAt(c, "t4", t0.Add(23*time.Hour))); rec == nil || !rec.Done {
				t.Fatalf("a release dropped a done record: %+v", rec)
			}
			// After 24 hours the key is free again.
			rec, err = s.ClaimIdempotency(ctx, claimAt(c, "t5", t0.Add(walletwallet.IdempotencyTTL)))
			mustNil(t, err)
			if rec != nil {
				t.Fatalf("claim after expiry found %+v", rec)
			}
			wantUsage(t, s, a, 2)
		}},
		testCase{"a released or abandoned claim can be taken", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			c := &walletwallet.IdempotencyClaim{AccountID: a.ID, Key: "k", Fingerprint: "fp", Token: "t1", Now: t0}
			rec, err := s.ClaimIdempotency(ctx, c)
			mustNil(t, err)
			if rec != nil {
				t.Fatalf("a fresh claim found %+v", rec)
			}
			mustNil(t, s.ReleaseIdempotency(ctx, a.ID, "k", "someone else")) // not theirs: no effect
			if rec, _ = s.ClaimIdempotency(ctx, claimAt(c, "t2", t0)); rec == nil {
				t.Fatal("a release by another token freed the claim")
			}
			mustNil(t, s.ReleaseIdempotency(ctx, a.ID, "k", "t1"))
			rec, err = s.ClaimIdempotency(ctx, claimAt(c, "t2", t0))
			mustNil(t, err)
			if rec != nil {
				t.Fatalf("claim after release found %+v", rec)
			}
			// t2's process dies; after the claim timeout t3 takes over and
			// t2 can no longer complete.
			rec, err = s.ClaimIdempotency(ctx, claimAt(c, "t3", t0.Add(walletwallet.IdempotencyClaimTimeout-time.Second)))
			mustNil(t, err)
			if rec == nil {
				t.Fatal("claim taken over before the timeout")
			}
			rec, err = s.ClaimIdempotency(ctx, claimAt(c, "t3", t0.Add(walletwallet.IdempotencyClaimTimeout)))
			mustNil(t, err)
			if rec != nil {
				t.Fatalf("abandoned claim not taken over: %+v", rec)
			}
			late := passFor(a, `{}`)
			wantCode(t, s.CreatePasses(ctx, []*walletwallet.Pass{late}, bigQuota, &walletwallet.IdempotencyDone{AccountID: a.ID, Key: "k", Token: "t2"}), walletwallet.ECONFLICT)
			_, err = s.Pass(ctx, late.PassTypeID, late.Serial)
			wantCode(t, err, walletwallet.ENOTFOUND)
			wantUsage(t, s, a, 0)
		}},
		testCase{"concurrent claims: exactly one wins", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			var wg sync.WaitGroup
			var mu sync.Mutex
			won := 0
			for i := range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rec, err := s.ClaimIdempotency(ctx, &walletwallet.IdempotencyClaim{AccountID: a.ID, Key: "race", Fingerprint: "fp", Token: fmt.Sprint("t", i), Now: t0})
					if err != nil {
						t.Error(err)
						return
					}
					if rec == nil {
						mu.Lock()
						won++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if won != 1 {
				t.Fatalf("%d claims won, want 1", won)
			}
		}},
	)
}

func claimAt(c *walletwallet.IdempotencyClaim, token string, now time.Time) *walletwallet.IdempotencyClaim {
	cc := *c
	cc.Token, cc.Now = token, now
	return &cc
}

func voidOf(p *walletwallet.Pass, at time.Time) *walletwallet.PassVoid {
	return &walletwallet.PassVoid{
		PassTypeID: p.PassTypeID, Serial: p.Serial, AccountID: p.AccountID, PrevHash: p.Hash,
		LastModified: at, Blob: []byte("voided blob of " + p.Serial),
	}
}

func wantUsage(t *testing.T, s walletwallet.Store, a *walletwallet.Account, want int64) {
	t.Helper()
	if n, err := s.Usage(context.Background(), a.ID, walletwallet.Month(t0)); err != nil || n != want {
		t.Fatalf("Usage = %d, %v; want %d", n, err, want)
	}
}

// listAll pages through a listing and returns the serials in order.
func listAll(t *testing.T, s walletwallet.Store, q walletwallet.PassQuery) []string {
	t.Helper()
	var out []string
	for range 1000 {
		page, err := s.ListPasses(context.Background(), q)
		mustNil(t, err)
		if len(page) > q.Limit {
			t.Fatalf("page of %d for limit %d", len(page), q.Limit)
		}
		for _, p := range page {
			out = append(out, p.Serial)
		}
		if len(page) < q.Limit {
			return out
		}
		last := page[len(page)-1]
		q.After = &walletwallet.PassCursor{FirstIssued: last.FirstIssued, Serial: last.Serial}
	}
	t.Fatal("listing does not end")
	return nil
}
