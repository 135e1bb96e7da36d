package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

// eventLog reads the events recorded since the last call.
type eventLog struct {
	s     walletwallet.Store
	after int64
}

func (l *eventLog) next(t *testing.T) []walletwallet.Event {
	t.Helper()
	evs, err := l.s.Events(context.Background(), l.after, 1000)
	mustNil(t, err)
	if len(evs) > 0 {
		l.after = evs[len(evs)-1].ID
	}
	return evs
}

// want checks the events since the last call, as "type serial device".
func (l *eventLog) want(t *testing.T, a *walletwallet.Account, what string, want ...string) {
	t.Helper()
	var got []string
	for _, e := range l.next(t) {
		if e.AccountID != a.ID || e.PassTypeID != PassTypeID || e.CreatedAt.IsZero() {
			t.Fatalf("%s: event %+v: wrong account, pass type or time", what, e)
		}
		got = append(got, fmt.Sprintf("%s %s %s", e.Type, e.Serial, e.DeviceID))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("%s: events %q, want %q", what, got, want)
	}
}

func init() {
	register("events",
		testCase{"each change records its event in its transaction", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			log := &eventLog{s: s}
			ev := func(typ walletwallet.EventType, p *walletwallet.Pass, device string) string {
				return fmt.Sprintf("%s %s %s", typ, p.Serial, device)
			}

			p := passFor(a, `{"v":0}`)
			mustNil(t, s.CreatePass(ctx, p, bigQuota))
			log.want(t, a, "create", ev(walletwallet.EventPassCreated, p, ""))

			q := walletwallet.Quota{Month: bigQuota.Month, Limit: 1} // the create used it up
			wantCode(t, s.CreatePass(ctx, passFor(a, `{}`), q), walletwallet.EQUOTA)
			log.want(t, a, "create refused by the quota")

			created, err := s.Register(ctx, &walletwallet.Registration{DeviceID: "dev1", PushToken: "tok1", PassTypeID: p.PassTypeID, Serial: p.Serial})
			mustNil(t, err)
			if !created {
				t.Fatal("first registration not created")
			}
			registerDevice(t, s, p, "dev2", "tok2")
			log.want(t, a, "two installs", ev(walletwallet.EventPassInstalled, p, "dev1"), ev(walletwallet.EventPassInstalled, p, "dev2"))
			registerDevice(t, s, p, "dev1", "tok1b")
			log.want(t, a, "re-registration")

			res, err := s.UpdatePass(ctx, changeOf(p, `{"v":1}`, t0.Add(time.Second)), bigQuota)
			mustNil(t, err)
			log.want(t, a, "changed version", ev(walletwallet.EventPassUpdated, p, ""))
			got, err := s.Pass(ctx, p.PassTypeID, p.Serial)
			mustNil(t, err)
			same := changeOf(got, `{"v":1}`, t0.Add(2*time.Second))
			r2, err := s.UpdatePass(ctx, same, bigQuota)
			mustNil(t, err)
			if !r2.Unchanged {
				t.Fatalf("same body: %+v", r2)
			}
			stale := changeOf(p, `{"v":2}`, t0.Add(3*time.Second)) // PrevHash of version 0
			_, err = s.UpdatePass(ctx, stale, bigQuota)
			wantCode(t, err, walletwallet.ECONFLICT)
			other := newAccount(t, s, 0)
			foreign := changeOf(got, `{"v":3}`, t0.Add(4*time.Second))
			foreign.AccountID = other.ID
			_, err = s.UpdatePass(ctx, foreign, bigQuota)
			wantCode(t, err, walletwallet.EFORBIDDEN)
			log.want(t, a, "unchanged, stale and foreign updates")
			_ = res

			mustNil(t, s.Unregister(ctx, "dev2", p.PassTypeID, p.Serial))
			wantCode(t, s.Unregister(ctx, "dev2", p.PassTypeID, p.Serial), walletwallet.ENOTFOUND)
			log.want(t, a, "unregister, then again", ev(walletwallet.EventPassUninstalled, p, "dev2"))

			// APNs said tok1b is gone: every registration carrying it is an uninstall.
			p2 := newPass(t, s, a)
			registerDevice(t, s, p2, "dev1", "tok1b")
			log.want(t, a, "second pass", ev(walletwallet.EventPassCreated, p2, ""), ev(walletwallet.EventPassInstalled, p2, "dev1"))
			n, err := s.DeleteRegistrationsByToken(ctx, "tok1b")
			mustNil(t, err)
			if n != 2 {
				t.Fatalf("DeleteRegistrationsByToken = %d, want 2", n)
			}
			log.want(t, a, "dead token", ev(walletwallet.EventPassUninstalled, p, "dev1"), ev(walletwallet.EventPassUninstalled, p2, "dev1"))

			cur, err := s.Pass(ctx, p2.PassTypeID, p2.Serial)
			mustNil(t, err)
			_, err = s.VoidPass(ctx, voidOf(cur, t0.Add(time.Hour)))
			mustNil(t, err)
			log.want(t, a, "void", ev(walletwallet.EventPassVoided, p2, ""))
			cur, err = s.Pass(ctx, p2.PassTypeID, p2.Serial)
			mustNil(t, err)
			again, err := s.VoidPass(ctx, voidOf(cur, t0.Add(2*time.Hour)))
			mustNil(t, err)
			if !again.AlreadyVoided {
				t.Fatalf("second void: %+v", again)
			}
			log.want(t, a, "second void")
		}},
		testCase{"ids grow and pages follow them", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			for range 5 {
				newPass(t, s, a)
			}
			first, err := s.Events(ctx, 0, 3)
			mustNil(t, err)
			rest, err := s.Events(ctx, first[len(first)-1].ID, 10)
			mustNil(t, err)
			all := append(first, rest...)
			if len(first) != 3 || len(all) != 5 {
				t.Fatalf("pages of %d and %d events, want 3 and 2", len(first), len(rest))
			}
			for i := 1; i < len(all); i++ {
				if all[i].ID <= all[i-1].ID || all[i].PublicID() == all[i-1].PublicID() {
					t.Fatalf("event ids out of order: %d then %d", all[i-1].ID, all[i].ID)
				}
			}
		}},
	)
}
