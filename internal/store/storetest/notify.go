package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

// Notifier mirrors store.Notifier (importing store here would be a cycle).
type Notifier interface {
	PushJobNotifications(ctx context.Context) <-chan struct{}
}

func init() {
	register("notify",
		testCase{"enqueue wakes subscribers", func(t *testing.T, s walletwallet.Store) {
			n, ok := s.(Notifier)
			if !ok {
				t.Skip("backend has no push job notifications")
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ch := n.PushJobNotifications(ctx)
			p := newPass(t, s, newAccount(t, s, 0))
			registerDevice(t, s, p, "dev1", "tok1")
			// A backend may need a moment to start listening; an update made
			// before that would wake nobody, so keep updating until woken.
			// The deadline only bounds a broken backend.
			deadline := time.After(20 * time.Second)
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			prev := p
			for i := 1; ; i++ {
				u := changeOf(prev, `{"v":`+string(rune('0'+i%10))+`}`, t0.Add(time.Duration(i)*time.Second))
				_, err := s.UpdatePass(ctx, u, bigQuota)
				mustNil(t, err)
				prev = &walletwallet.Pass{PassTypeID: p.PassTypeID, Serial: p.Serial, AccountID: p.AccountID, Hash: u.Hash}
				select {
				case <-ch:
					return
				case <-tick.C:
				case <-deadline:
					t.Fatal("no notification after enqueued push jobs")
				}
			}
		}},
		testCase{"update without devices stays quiet", func(t *testing.T, s walletwallet.Store) {
			n, ok := s.(Notifier)
			if !ok {
				t.Skip("backend has no push job notifications")
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ch := n.PushJobNotifications(ctx)
			p := newPass(t, s, newAccount(t, s, 0))
			_, err := s.UpdatePass(ctx, changeOf(p, `{"v":1}`, t0.Add(time.Second)), bigQuota)
			mustNil(t, err)
			select {
			case <-ch:
				t.Fatal("notified although no job was enqueued")
			default:
			}
		}},
	)
}
