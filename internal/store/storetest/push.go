package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

func init() {
	register("push",
		testCase{"lease, steal and finish", testPushLease},
		testCase{"oldest job first", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			p1, p2 := newPass(t, s, a), newPass(t, s, a)
			registerDevice(t, s, p1, "dev1", "tok1")
			registerDevice(t, s, p2, "dev1", "tok1")
			_, err := s.UpdatePass(ctx, changeOf(p2, `{"v":1}`, t0.Add(time.Second)), bigQuota)
			mustNil(t, err)
			_, err = s.UpdatePass(ctx, changeOf(p1, `{"v":1}`, t0.Add(2*time.Second)), bigQuota)
			mustNil(t, err)
			now := t0.Add(time.Minute)
			for i, want := range []string{p2.Serial, p1.Serial} {
				j, err := s.ClaimPushJob(ctx, "w", now, now.Add(time.Minute))
				mustNil(t, err)
				if j == nil || j.Serial != want {
					t.Fatalf("claim #%d = %+v, want serial %s", i+1, j, want)
				}
			}
		}},
		testCase{"no jobs", func(t *testing.T, s walletwallet.Store) {
			j, err := s.ClaimPushJob(context.Background(), "w", t0, t0.Add(time.Minute))
			mustNil(t, err)
			if j != nil {
				t.Fatalf("claimed %+v from an empty queue", j)
			}
		}},
		testCase{"targets page by registration id", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			p, other := newPass(t, s, a), newPass(t, s, a)
			for _, d := range []string{"d1", "d2", "d3", "d4", "d5"} {
				registerDevice(t, s, p, d, "tok-"+d)
				registerDevice(t, s, other, d, "tok-"+d)
			}
			var seen []string
			after := int64(0)
			for page := 0; ; page++ {
				targets, err := s.PushTargets(ctx, p.PassTypeID, p.Serial, after, 2)
				mustNil(t, err)
				if len(targets) > 2 {
					t.Fatalf("page %d has %d targets, limit 2", page, len(targets))
				}
				if len(targets) == 0 {
					break
				}
				for _, tg := range targets {
					if tg.RegistrationID <= after {
						t.Fatalf("page %d: id %d not after %d", page, tg.RegistrationID, after)
					}
					after = tg.RegistrationID
					seen = append(seen, tg.PushToken)
				}
			}
			want := []string{"tok-d1", "tok-d2", "tok-d3", "tok-d4", "tok-d5"}
			if len(seen) != len(want) {
				t.Fatalf("paged tokens = %v, want %v", seen, want)
			}
			for i := range want {
				if seen[i] != want[i] {
					t.Fatalf("paged tokens = %v, want %v (registration order)", seen, want)
				}
			}
		}},
	)
}

func testPushLease(t *testing.T, s walletwallet.Store) {
	ctx := context.Background()
	p := newPass(t, s, newAccount(t, s, 0))
	for _, d := range []string{"d1", "d2", "d3"} {
		registerDevice(t, s, p, d, "tok-"+d)
	}
	_, err := s.UpdatePass(ctx, changeOf(p, `{"v":1}`, t0.Add(time.Second)), bigQuota)
	mustNil(t, err)
	pending := func(want int) {
		t.Helper()
		if n, err := s.PendingPushJobs(ctx); err != nil || n != want {
			t.Fatalf("PendingPushJobs = %d, %v; want %d", n, err, want)
		}
	}
	pending(1)

	now := t0.Add(time.Minute)
	j, err := s.ClaimPushJob(ctx, "w1", now, now.Add(30*time.Second))
	mustNil(t, err)
	if j == nil || j.Serial != p.Serial || j.PassTypeID != p.PassTypeID || j.Cursor != 0 || j.Attempts != 1 || j.ID == 0 {
		t.Fatalf("first claim = %+v", j)
	}
	if other, err := s.ClaimPushJob(ctx, "w2", now.Add(time.Second), now.Add(time.Minute)); err != nil || other != nil {
		t.Fatalf("claim of a leased job = %+v, %v; want nil", other, err)
	}
	targets, err := s.PushTargets(ctx, j.PassTypeID, j.Serial, j.Cursor, 2)
	mustNil(t, err)
	if len(targets) != 2 {
		t.Fatalf("%d targets, want 2", len(targets))
	}
	cursor := targets[1].RegistrationID
	mustNil(t, s.AdvancePushJob(ctx, j.ID, "w1", cursor))
	wantCode(t, s.AdvancePushJob(ctx, j.ID, "w2", cursor), walletwallet.ECONFLICT)
	mustNil(t, s.ExtendPushLease(ctx, j.ID, "w1", now.Add(40*time.Second)))
	wantCode(t, s.ExtendPushLease(ctx, j.ID, "w2", now.Add(40*time.Second)), walletwallet.ECONFLICT)

	// Still leased after the first lease's end, because it was extended.
	if other, err := s.ClaimPushJob(ctx, "w2", now.Add(35*time.Second), now.Add(time.Minute)); err != nil || other != nil {
		t.Fatalf("claim of an extended lease = %+v, %v; want nil", other, err)
	}
	// w1 dies; after the extended lease w2 steals the job and resumes at the cursor.
	later := now.Add(41 * time.Second)
	stolen, err := s.ClaimPushJob(ctx, "w2", later, later.Add(30*time.Second))
	mustNil(t, err)
	if stolen == nil || stolen.ID != j.ID || stolen.Cursor != cursor || stolen.Attempts != 2 {
		t.Fatalf("stolen = %+v, want job %d at cursor %d, attempt 2", stolen, j.ID, cursor)
	}
	wantCode(t, s.ExtendPushLease(ctx, j.ID, "w1", later.Add(time.Minute)), walletwallet.ECONFLICT)
	wantCode(t, s.AdvancePushJob(ctx, j.ID, "w1", cursor+100), walletwallet.ECONFLICT)
	wantCode(t, s.FinishPushJob(ctx, j.ID, "w1"), walletwallet.ECONFLICT)
	pending(1)

	rest, err := s.PushTargets(ctx, stolen.PassTypeID, stolen.Serial, stolen.Cursor, 2)
	mustNil(t, err)
	if len(rest) != 1 || rest[0].PushToken != "tok-d3" {
		t.Fatalf("remaining targets = %+v, want only tok-d3", rest)
	}
	mustNil(t, s.AdvancePushJob(ctx, j.ID, "w2", rest[0].RegistrationID))
	mustNil(t, s.FinishPushJob(ctx, j.ID, "w2"))
	pending(0)
	wantCode(t, s.FinishPushJob(ctx, j.ID, "w2"), walletwallet.ECONFLICT)
	if again, err := s.ClaimPushJob(ctx, "w3", later.Add(time.Hour), later.Add(2*time.Hour)); err != nil || again != nil {
		t.Fatalf("claim after finish = %+v, %v; want nil", again, err)
	}
}
