package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

func init() {
	register("registrations",
		testCase{"new then existing", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			p := newPass(t, s, newAccount(t, s, 0))
			r := &walletwallet.Registration{DeviceID: "dev1", PushToken: "tok1", PassTypeID: p.PassTypeID, Serial: p.Serial}
			for i, want := range []bool{true, false} {
				created, err := s.Register(ctx, r)
				mustNil(t, err)
				if created != want {
					t.Fatalf("Register #%d created = %v, want %v", i+1, created, want)
				}
			}
			if got := tokens(t, s, p); !slices.Equal(got, []string{"tok1"}) {
				t.Fatalf("tokens = %v, want [tok1]", got)
			}
		}},
		testCase{"unknown pass", func(t *testing.T, s walletwallet.Store) {
			_, err := s.Register(context.Background(), &walletwallet.Registration{
				DeviceID: "dev1", PushToken: "tok1", PassTypeID: PassTypeID, Serial: NewSerial()})
			wantCode(t, err, walletwallet.ENOTFOUND)
		}},
		testCase{"new token replaces the device's token everywhere", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			p1, p2 := newPass(t, s, a), newPass(t, s, a)
			registerDevice(t, s, p1, "dev1", "old")
			registerDevice(t, s, p2, "dev1", "old")
			registerDevice(t, s, p2, "dev2", "other")
			created, err := s.Register(ctx, &walletwallet.Registration{DeviceID: "dev1", PushToken: "new", PassTypeID: p1.PassTypeID, Serial: p1.Serial})
			mustNil(t, err)
			if created {
				t.Fatal("re-registration reported created")
			}
			for _, c := range []struct {
				name string
				pass *walletwallet.Pass
				want []string
			}{
				{"re-registered pass", p1, []string{"new"}},
				{"other pass of the device", p2, []string{"new", "other"}},
			} {
				if got := tokens(t, s, c.pass); !slices.Equal(got, c.want) {
					t.Errorf("%s: tokens = %v, want %v", c.name, got, c.want)
				}
			}
		}},
		testCase{"unregister", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			p := newPass(t, s, newAccount(t, s, 0))
			registerDevice(t, s, p, "dev1", "tok1")
			registerDevice(t, s, p, "dev2", "tok2")
			mustNil(t, s.Unregister(ctx, "dev1", p.PassTypeID, p.Serial))
			wantCode(t, s.Unregister(ctx, "dev1", p.PassTypeID, p.Serial), walletwallet.ENOTFOUND)
			wantCode(t, s.Unregister(ctx, "dev2", p.PassTypeID, NewSerial()), walletwallet.ENOTFOUND)
			if got := tokens(t, s, p); !slices.Equal(got, []string{"tok2"}) {
				t.Fatalf("tokens = %v, want [tok2]", got)
			}
		}},
		testCase{"delete by token", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			p1, p2 := newPass(t, s, a), newPass(t, s, a)
			registerDevice(t, s, p1, "dev1", "dead")
			registerDevice(t, s, p2, "dev1", "dead")
			registerDevice(t, s, p1, "dev2", "live")
			for _, c := range []struct {
				name string
				want int
			}{{"first delete", 2}, {"second delete", 0}} {
				n, err := s.DeleteRegistrationsByToken(ctx, "dead")
				mustNil(t, err)
				if n != c.want {
					t.Fatalf("%s: deleted %d, want %d", c.name, n, c.want)
				}
			}
			for _, c := range []struct {
				name string
				pass *walletwallet.Pass
				want []string
			}{{"pass with a live token", p1, []string{"live"}}, {"pass with only the dead token", p2, nil}} {
				if got := tokens(t, s, c.pass); !slices.Equal(got, c.want) {
					t.Fatalf("%s: tokens = %v, want %v", c.name, got, c.want)
				}
			}
		}},
		testCase{"concurrent changes keep the count", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			p := newPass(t, s, newAccount(t, s, 0))
			for i := range 10 {
				registerDevice(t, s, p, fmt.Sprint("gone", i), "dead")
			}
			var wg sync.WaitGroup
			errs := make(chan error, 64)
			for i := range 20 {
				// Every device registers twice at once: only one may count.
				for range 2 {
					wg.Go(func() {
						_, err := s.Register(ctx, &walletwallet.Registration{
							DeviceID: fmt.Sprint("dev", i), PushToken: fmt.Sprint("tok", i), PassTypeID: p.PassTypeID, Serial: p.Serial})
						errs <- err
					})
				}
			}
			wg.Go(func() {
				_, err := s.DeleteRegistrationsByToken(ctx, "dead")
				errs <- err
			})
			wg.Go(func() { errs <- s.Unregister(ctx, "gone0", p.PassTypeID, p.Serial) })
			wg.Wait()
			close(errs)
			for err := range errs {
				// Unregister may lose the race to the token delete.
				if c := walletwallet.ErrorCode(err); c != "" && c != walletwallet.ENOTFOUND {
					t.Fatal(err)
				}
			}
			if got := tokens(t, s, p); len(got) != 20 {
				t.Fatalf("%d registrations left, want 20", len(got))
			}
		}},
		testCase{"updated serials", testUpdatedSerials},
	)
}

// tokens lists the push tokens registered for p, sorted.
func tokens(t *testing.T, s walletwallet.Store, p *walletwallet.Pass) []string {
	t.Helper()
	targets, err := s.PushTargets(context.Background(), p.PassTypeID, p.Serial, 0, 100)
	mustNil(t, err)
	var out []string
	for _, tg := range targets {
		out = append(out, tg.PushToken)
	}
	slices.Sort(out)
	// The count that UpdatePass reports must agree with the rows a push pages through.
	if n := countOf(t, s, p); n != len(out) {
		t.Fatalf("Devices = %d, but %d registrations exist", n, len(out))
	}
	return out
}

func testUpdatedSerials(t *testing.T, s walletwallet.Store) {
	ctx := context.Background()
	a := newAccount(t, s, 0)
	old, fresh, unregistered := newPass(t, s, a), newPass(t, s, a), newPass(t, s, a)
	freshAt := t0.Add(5 * time.Millisecond)
	_, err := s.UpdatePass(ctx, changeOf(fresh, `{"v":1}`, freshAt), bigQuota)
	mustNil(t, err)
	_, err = s.UpdatePass(ctx, changeOf(unregistered, `{"v":1}`, t0.Add(time.Hour)), bigQuota)
	mustNil(t, err)
	registerDevice(t, s, old, "dev1", "tok1")
	registerDevice(t, s, fresh, "dev1", "tok1")
	registerDevice(t, s, unregistered, "dev2", "tok2")

	for _, c := range []struct {
		name       string
		device     string
		passTypeID string
		since      time.Time
		want       []string
		wantLatest time.Time
	}{
		{"zero time lists all", "dev1", PassTypeID, time.Time{}, []string{old.Serial, fresh.Serial}, freshAt},
		{"just before the older", "dev1", PassTypeID, t0.Add(-time.Millisecond), []string{old.Serial, fresh.Serial}, freshAt},
		{"equal is not after", "dev1", PassTypeID, t0, []string{fresh.Serial}, freshAt},
		{"one millisecond before", "dev1", PassTypeID, freshAt.Add(-time.Millisecond), []string{fresh.Serial}, freshAt},
		{"sub-millisecond past the latest", "dev1", PassTypeID, freshAt.Add(500 * time.Microsecond), nil, time.Time{}},
		{"at the latest", "dev1", PassTypeID, freshAt, nil, time.Time{}},
		{"other pass type", "dev1", "pass.other", time.Time{}, nil, time.Time{}},
		{"unknown device", "dev9", PassTypeID, time.Time{}, nil, time.Time{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, latest, err := s.UpdatedSerials(ctx, c.device, c.passTypeID, c.since)
			mustNil(t, err)
			slices.Sort(got)
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("serials = %v, want %v", got, want)
			}
			if len(want) > 0 {
				wantTime(t, "latest", latest, c.wantLatest)
			}
		})
	}
}
