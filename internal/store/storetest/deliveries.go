package storetest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

// claimAll claims every due delivery as owner at now and returns them.
func claimAll(t *testing.T, s walletwallet.Store, owner string, now time.Time) []*walletwallet.Delivery {
	t.Helper()
	var out []*walletwallet.Delivery
	for {
		d, err := s.ClaimDelivery(context.Background(), owner, now, now.Add(time.Minute))
		mustNil(t, err)
		if d == nil {
			return out
		}
		out = append(out, d)
	}
}

// described lists deliveries as "webhook type serial device", sorted.
func described(ds []*walletwallet.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s %s %s %s", d.Webhook.ID, d.Event.Type, d.Event.Serial, d.Event.DeviceID))
	}
	slices.Sort(out)
	return out
}

func wantDeliveries(t *testing.T, what string, got []*walletwallet.Delivery, want ...string) {
	t.Helper()
	slices.Sort(want)
	if g := described(got); !slices.Equal(g, want) {
		t.Fatalf("%s: deliveries %q, want %q", what, g, want)
	}
}

func init() {
	register("deliveries",
		testCase{"each event is queued once for every webhook of its account that takes its type", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			now := time.Now()
			a, b := newAccount(t, s, 0), newAccount(t, s, 0)
			before := newPass(t, s, a) // recorded before any webhook: never delivered
			all := newWebhook(a, "https://all.example/hook", walletwallet.AllEventTypes...)
			installs := newWebhook(a, "https://installs.example/hook", walletwallet.EventPassInstalled)
			other := newWebhook(b, "https://b.example/hook", walletwallet.AllEventTypes...)
			for _, w := range []*walletwallet.Webhook{all, installs, other} {
				mustNil(t, s.CreateWebhook(ctx, w))
			}
			wantDeliveries(t, "after creating webhooks", claimAll(t, s, "o1", now))

			p := newPass(t, s, a)
			got := claimAll(t, s, "o1", now)
			wantDeliveries(t, "create", got, all.ID+" pass.created "+p.Serial+" ")
			d := got[0]
			if d.Attempts != 1 || d.Event.AccountID != a.ID || d.Event.PassTypeID != PassTypeID || d.Event.ID == 0 ||
				d.Event.CreatedAt.IsZero() || d.Webhook.URL != all.URL || d.Webhook.AccountID != a.ID ||
				!bytes.Equal(d.Webhook.SealedSecret, all.SealedSecret) || !slices.Equal(d.Webhook.Events, all.Events) {
				t.Fatalf("claimed %+v", d)
			}
			evs, err := s.Events(ctx, 0, 100)
			mustNil(t, err)
			if last := evs[len(evs)-1]; last.ID != d.Event.ID || !last.CreatedAt.Equal(d.Event.CreatedAt) || last.TemplateID != d.Event.TemplateID || last.Type != d.Event.Type {
				t.Fatalf("delivery's event %+v, last recorded %+v", d.Event, last)
			}

			registerDevice(t, s, p, "dev1", "tok1")
			registerDevice(t, s, before, "dev1", "tok1")
			wantDeliveries(t, "installs", claimAll(t, s, "o1", now),
				all.ID+" pass.installed "+p.Serial+" dev1", installs.ID+" pass.installed "+p.Serial+" dev1",
				all.ID+" pass.installed "+before.Serial+" dev1", installs.ID+" pass.installed "+before.Serial+" dev1")

			q := walletwallet.Quota{Month: bigQuota.Month, Limit: 1} // the quota refuses: no event, no delivery
			wantCode(t, s.CreatePass(ctx, passFor(a, `{}`), q), walletwallet.EQUOTA)
			wantDeliveries(t, "refused create", claimAll(t, s, "o1", now))

			// A webhook's pending deliveries go with it, claimed or not.
			p3 := newPass(t, s, a)
			registerDevice(t, s, p3, "dev3", "tok3")
			queued, err := s.PendingDeliveries(ctx)
			mustNil(t, err)
			mustNil(t, s.DeleteWebhook(ctx, a.ID, installs.ID))
			// installs holds three: the two claimed above (never closed) and dev3's.
			if after, _ := s.PendingDeliveries(ctx); after != queued-3 {
				t.Fatalf("pending %d before deleting a webhook with three pending deliveries, %d after", queued, after)
			}
			wantDeliveries(t, "after the delete", claimAll(t, s, "o1", now),
				all.ID+" pass.created "+p3.Serial+" ", all.ID+" pass.installed "+p3.Serial+" dev3")
			n, err := s.DeleteRegistrationsByToken(ctx, "tok1")
			mustNil(t, err)
			if n != 2 {
				t.Fatalf("removed %d registrations", n)
			}
			wantDeliveries(t, "dead token after a webhook went", claimAll(t, s, "o1", now),
				all.ID+" pass.uninstalled "+p.Serial+" dev1", all.ID+" pass.uninstalled "+before.Serial+" dev1")
		}},
		testCase{"a lease: held, renewed, lost when it runs out, closed only by its owner", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			mustNil(t, s.CreateWebhook(ctx, newWebhook(a, "https://x.example/", walletwallet.EventPassCreated)))
			newPass(t, s, a)
			now := time.Now()
			d, err := s.ClaimDelivery(ctx, "o1", now, now.Add(10*time.Second))
			mustNil(t, err)
			if d == nil || d.Attempts != 1 {
				t.Fatalf("first claim %+v", d)
			}
			if again, err := s.ClaimDelivery(ctx, "o2", now.Add(5*time.Second), now.Add(time.Minute)); err != nil || again != nil {
				t.Fatalf("claimed while leased: %+v %v", again, err)
			}
			mustNil(t, s.SetDeliveryLease(ctx, d.ID, "o1", now.Add(20*time.Second)))
			wantCode(t, s.SetDeliveryLease(ctx, d.ID, "o2", now.Add(time.Hour)), walletwallet.ECONFLICT)
			if again, _ := s.ClaimDelivery(ctx, "o2", now.Add(15*time.Second), now.Add(time.Minute)); again != nil {
				t.Fatal("claimed inside the renewed lease")
			}
			// The lease ran out (o1 died): o2 takes over, the attempt counted.
			d2, err := s.ClaimDelivery(ctx, "o2", now.Add(21*time.Second), now.Add(time.Minute))
			mustNil(t, err)
			if d2 == nil || d2.ID != d.ID || d2.Attempts != 2 {
				t.Fatalf("takeover %+v", d2)
			}
			wantCode(t, s.FinishDelivery(ctx, d.ID, "o1", walletwallet.DeliveryDelivered, ""), walletwallet.ECONFLICT)
			if n, _ := s.PendingDeliveries(ctx); n != 1 {
				t.Fatalf("pending = %d, want 1", n)
			}
			if err := s.FinishDelivery(ctx, d.ID, "o2", "pending", ""); err == nil {
				t.Fatal("closed with a status that is not final")
			}
			mustNil(t, s.FinishDelivery(ctx, d.ID, "o2", walletwallet.DeliveryDelivered, ""))
			if n, _ := s.PendingDeliveries(ctx); n != 0 {
				t.Fatalf("pending = %d after delivery", n)
			}
			wantCode(t, s.FinishDelivery(ctx, d.ID, "o2", walletwallet.DeliveryFailed, "x"), walletwallet.ECONFLICT)
			wantCode(t, s.SetDeliveryLease(ctx, d.ID, "o2", now), walletwallet.ECONFLICT)
			if again, _ := s.ClaimDelivery(ctx, "o3", now.Add(time.Hour), now.Add(2*time.Hour)); again != nil {
				t.Fatalf("a delivered delivery claimed again: %+v", again)
			}
		}},
		testCase{"a retry waits for its time; failed is final; oldest due first", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			mustNil(t, s.CreateWebhook(ctx, newWebhook(a, "https://x.example/", walletwallet.EventPassCreated)))
			p1 := newPass(t, s, a)
			now := time.Now()
			d1, err := s.ClaimDelivery(ctx, "o1", now, now.Add(time.Minute))
			mustNil(t, err)
			if d1 == nil || d1.Event.Serial != p1.Serial {
				t.Fatalf("claim %+v", d1)
			}
			// Failed: next attempt in 30 s. A newer event meanwhile goes first.
			mustNil(t, s.SetDeliveryLease(ctx, d1.ID, "o1", now.Add(30*time.Second)))
			p2 := newPass(t, s, a)
			d2, _ := s.ClaimDelivery(ctx, "o1", now.Add(time.Second), now.Add(time.Minute))
			if d2 == nil || d2.Event.Serial != p2.Serial {
				t.Fatalf("second claim %+v, want the new event", d2)
			}
			mustNil(t, s.FinishDelivery(ctx, d2.ID, "o1", walletwallet.DeliveryFailed, "bad \x00 \xff text "+string(bytes.Repeat([]byte("é"), 400))))
			if d, _ := s.ClaimDelivery(ctx, "o1", now.Add(29*time.Second), now.Add(time.Minute)); d != nil {
				t.Fatalf("claimed before its retry time: %+v", d)
			}
			d3, _ := s.ClaimDelivery(ctx, "o1", now.Add(31*time.Second), now.Add(time.Minute))
			if d3 == nil || d3.ID != d1.ID || d3.Attempts != 2 {
				t.Fatalf("retry claim %+v", d3)
			}
			mustNil(t, s.FinishDelivery(ctx, d3.ID, "o1", walletwallet.DeliveryFailed, "gave up"))
			if d, _ := s.ClaimDelivery(ctx, "o1", now.Add(48*time.Hour), now.Add(49*time.Hour)); d != nil {
				t.Fatalf("a failed delivery claimed: %+v", d)
			}
		}},
		testCase{"owners claiming at once each get different deliveries", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			mustNil(t, s.CreateWebhook(ctx, newWebhook(a, "https://x.example/", walletwallet.EventPassCreated)))
			const n = 40
			ps := make([]*walletwallet.Pass, n)
			for i := range ps {
				ps[i] = passFor(a, fmt.Sprintf(`{"i":%d}`, i))
			}
			mustNil(t, s.CreatePasses(ctx, ps, bigQuota, nil))
			now := time.Now()
			var mu sync.Mutex
			seen := map[int64]string{}
			var wg sync.WaitGroup
			for o := range 4 {
				owner := fmt.Sprint("owner", o)
				wg.Go(func() {
					for {
						d, err := s.ClaimDelivery(ctx, owner, now, now.Add(time.Minute))
						if err != nil {
							t.Error(err)
							return
						}
						if d == nil {
							return
						}
						mu.Lock()
						if prev, dup := seen[d.ID]; dup {
							t.Errorf("delivery %d claimed by %s and %s", d.ID, prev, owner)
						}
						seen[d.ID] = owner
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if len(seen) != n {
				t.Fatalf("%d deliveries claimed, want %d", len(seen), n)
			}
		}},
	)
}
