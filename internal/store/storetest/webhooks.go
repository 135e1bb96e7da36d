package storetest

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

func newWebhook(a *walletwallet.Account, url string, events ...walletwallet.EventType) *walletwallet.Webhook {
	return &walletwallet.Webhook{
		ID: walletwallet.NewWebhookID(), AccountID: a.ID, URL: url, Events: events,
		SealedSecret: []byte{0, 1, 2, 0xff, 'x'}, // binary: no text conversion on the way
	}
}

func init() {
	register("webhooks",
		testCase{"created webhooks list back whole, oldest first, per account", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a, b := newAccount(t, s, 0), newAccount(t, s, 0)
			w1 := newWebhook(a, "https://one.example/hook", walletwallet.AllEventTypes...)
			w1.CreatedAt = t0
			w2 := newWebhook(a, "https://two.example/hook", walletwallet.EventPassInstalled)
			w2.CreatedAt = t0.Add(time.Millisecond)
			other := newWebhook(b, "https://b.example/hook", walletwallet.EventPassVoided)
			for _, w := range []*walletwallet.Webhook{w2, w1, other} {
				mustNil(t, s.CreateWebhook(ctx, w))
			}
			got, err := s.Webhooks(ctx, a.ID)
			mustNil(t, err)
			if len(got) != 2 || got[0].ID != w1.ID || got[1].ID != w2.ID {
				t.Fatalf("webhooks of a = %+v, want %s then %s", got, w1.ID, w2.ID)
			}
			g := got[0]
			if g.AccountID != a.ID || g.URL != w1.URL || !slices.Equal(g.Events, walletwallet.AllEventTypes) ||
				!bytes.Equal(g.SealedSecret, w1.SealedSecret) || !g.CreatedAt.Equal(t0) {
				t.Fatalf("read back %+v, stored %+v", g, w1)
			}
			if !slices.Equal(got[1].Events, []walletwallet.EventType{walletwallet.EventPassInstalled}) {
				t.Fatalf("events = %q", got[1].Events)
			}
			none, err := s.Webhooks(ctx, newAccount(t, s, 0).ID)
			mustNil(t, err)
			if len(none) != 0 {
				t.Fatalf("a new account has webhooks %+v", none)
			}
		}},
		testCase{"a zero CreatedAt is stamped now", func(t *testing.T, s walletwallet.Store) {
			a := newAccount(t, s, 0)
			w := newWebhook(a, "https://x.example/", walletwallet.EventPassCreated)
			mustNil(t, s.CreateWebhook(context.Background(), w))
			if w.CreatedAt.IsZero() {
				t.Fatal("CreatedAt not set")
			}
		}},
		testCase{"delete: own removed, another's forbidden and kept, unknown not found", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a, b := newAccount(t, s, 0), newAccount(t, s, 0)
			wa := newWebhook(a, "https://a.example/", walletwallet.EventPassCreated)
			wb := newWebhook(b, "https://b.example/", walletwallet.EventPassCreated)
			mustNil(t, s.CreateWebhook(ctx, wa))
			mustNil(t, s.CreateWebhook(ctx, wb))

			wantCode(t, s.DeleteWebhook(ctx, a.ID, wb.ID), walletwallet.EFORBIDDEN)
			if got, _ := s.Webhooks(ctx, b.ID); len(got) != 1 {
				t.Fatalf("b's webhook gone after a forbidden delete: %+v", got)
			}
			wantCode(t, s.DeleteWebhook(ctx, a.ID, "wh_nope"), walletwallet.ENOTFOUND)
			mustNil(t, s.DeleteWebhook(ctx, a.ID, wa.ID))
			if got, _ := s.Webhooks(ctx, a.ID); len(got) != 0 {
				t.Fatalf("a's webhook still listed: %+v", got)
			}
			wantCode(t, s.DeleteWebhook(ctx, a.ID, wa.ID), walletwallet.ENOTFOUND)
		}},
	)
}
