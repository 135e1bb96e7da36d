package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

func wantStats(t *testing.T, s walletwallet.Store, a *walletwallet.Account, month string, what string, want walletwallet.Stats) {
	t.Helper()
	got, err := s.Stats(context.Background(), a.ID, month)
	mustNil(t, err)
	if *got != want {
		t.Fatalf("%s: stats %+v, want %+v", what, *got, want)
	}
}

func init() {
	register("stats",
		testCase{"counters follow every change, per account and month, and refused changes count nothing", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a, b := newAccount(t, s, 0), newAccount(t, s, 0)
			m0 := walletwallet.Month(t0) // creates and updates are stamped with t0…
			mNow := walletwallet.Month(time.Now())
			wantStats(t, s, a, m0, "new account", walletwallet.Stats{})

			p1, p2 := newPass(t, s, a), newPass(t, s, a)
			newPass(t, s, b)
			wantStats(t, s, a, m0, "two passes", walletwallet.Stats{Active: 2, Month: walletwallet.MonthStats{Created: 2}})
			wantCode(t, s.CreatePass(ctx, passFor(a, `{}`), walletwallet.Quota{Month: m0, Limit: 1}), walletwallet.EQUOTA)

			_, err := s.UpdatePass(ctx, changeOf(p1, `{"v":1}`, t0.Add(time.Second)), bigQuota)
			mustNil(t, err)
			cur, _ := s.Pass(ctx, p1.PassTypeID, p1.Serial)
			r, err := s.UpdatePass(ctx, changeOf(cur, `{"v":1}`, t0.Add(2*time.Second)), bigQuota)
			mustNil(t, err)
			if !r.Unchanged {
				t.Fatal("same body not unchanged")
			}
			wantStats(t, s, a, m0, "one changed version", walletwallet.Stats{Active: 2, Month: walletwallet.MonthStats{Created: 2, Updated: 1}})

			// …registrations with the time of the request.
			registerDevice(t, s, p1, "d1", "t1")
			registerDevice(t, s, p1, "d2", "t2")
			registerDevice(t, s, p2, "d1", "t1")
			registerDevice(t, s, p1, "d1", "t1") // a refresh, not an install
			wantCode(t, s.Unregister(ctx, "d9", p1.PassTypeID, p1.Serial), walletwallet.ENOTFOUND)
			mustNil(t, s.Unregister(ctx, "d2", p1.PassTypeID, p1.Serial))
			if n, err := s.DeleteRegistrationsByToken(ctx, "t1"); err != nil || n != 2 {
				t.Fatalf("dead token: %d %v", n, err)
			}
			registerDevice(t, s, p1, "d2", "t2b") // back again: a second install of d2
			thisMonth := walletwallet.MonthStats{Installs: 4, Uninstalls: 3}
			if mNow == m0 {
				thisMonth.Created, thisMonth.Updated = 2, 1
			}
			wantStats(t, s, a, mNow, "installs and uninstalls", walletwallet.Stats{
				Active: 2, Devices: 1, Installs: 4, Uninstalls: 3, Month: thisMonth})

			cur, _ = s.Pass(ctx, p2.PassTypeID, p2.Serial)
			_, err = s.VoidPass(ctx, voidOf(cur, t0.Add(time.Hour)))
			mustNil(t, err)
			cur, _ = s.Pass(ctx, p2.PassTypeID, p2.Serial)
			again, err := s.VoidPass(ctx, voidOf(cur, t0.Add(2*time.Hour)))
			mustNil(t, err)
			if !again.AlreadyVoided {
				t.Fatal("second void did something")
			}
			wantStats(t, s, a, "2020-01", "voided; a month without events", walletwallet.Stats{
				Active: 1, Voided: 1, Devices: 1, Installs: 4, Uninstalls: 3})
			wantStats(t, s, b, m0, "the other account", walletwallet.Stats{Active: 1, Month: walletwallet.MonthStats{Created: 1}})
			if got := countOf(t, s, p1); got != 1 {
				t.Fatalf("registrations of p1 = %d", got)
			}
		}},
		testCase{"a batch counts every pass", func(t *testing.T, s walletwallet.Store) {
			a := newAccount(t, s, 0)
			ps := []*walletwallet.Pass{passFor(a, `{"a":1}`), passFor(a, `{"a":2}`), passFor(a, `{"a":3}`)}
			mustNil(t, s.CreatePasses(context.Background(), ps, bigQuota, nil))
			wantStats(t, s, a, walletwallet.Month(t0), "batch", walletwallet.Stats{Active: 3, Month: walletwallet.MonthStats{Created: 3}})
		}},
	)
}
