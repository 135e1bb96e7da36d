package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

// The operator's commands: accounts update, accounts show, keys revoke.
func init() {
	ptr := func(s string) *string { return &s }
	register("account updates",
		testCase{"each field alone, the others kept", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := &walletwallet.Account{Email: "a@example.com", Org: "Org A", Plan: walletwallet.PlanTrial, MonthlyLimit: 5, CreatedAt: t0}
			mustNil(t, s.CreateAccount(ctx, a))
			other := newAccount(t, s, 9)
			pro, limit0, limit7 := walletwallet.PlanPro, int64(0), int64(7)
			steps := []struct {
				name string
				c    walletwallet.AccountChange
				want walletwallet.Account
			}{
				{"nothing", walletwallet.AccountChange{}, *a},
				{"email", walletwallet.AccountChange{Email: ptr("b@example.com")}, walletwallet.Account{Email: "b@example.com", Org: "Org A", Plan: walletwallet.PlanTrial, MonthlyLimit: 5}},
				{"org", walletwallet.AccountChange{Org: ptr("Org B")}, walletwallet.Account{Email: "b@example.com", Org: "Org B", Plan: walletwallet.PlanTrial, MonthlyLimit: 5}},
				{"plan", walletwallet.AccountChange{Plan: &pro}, walletwallet.Account{Email: "b@example.com", Org: "Org B", Plan: walletwallet.PlanPro, MonthlyLimit: 5}},
				{"limit back to the plan's", walletwallet.AccountChange{MonthlyLimit: &limit0}, walletwallet.Account{Email: "b@example.com", Org: "Org B", Plan: walletwallet.PlanPro, MonthlyLimit: 0}},
				{"empty org and a limit", walletwallet.AccountChange{Org: ptr(""), MonthlyLimit: &limit7}, walletwallet.Account{Email: "b@example.com", Plan: walletwallet.PlanPro, MonthlyLimit: 7}},
			}
			for _, st := range steps {
				got, err := s.UpdateAccount(ctx, a.ID, st.c)
				mustNil(t, err)
				again, err := s.Account(ctx, a.ID)
				mustNil(t, err)
				for _, g := range []*walletwallet.Account{got, again} {
					if g.ID != a.ID || g.Email != st.want.Email || g.Org != st.want.Org || g.Plan != st.want.Plan || g.MonthlyLimit != st.want.MonthlyLimit {
						t.Fatalf("%s: account = %+v, want %+v", st.name, g, st.want)
					}
					wantTime(t, st.name+": CreatedAt", g.CreatedAt, t0)
				}
			}
			o, err := s.Account(ctx, other.ID)
			mustNil(t, err)
			if o.Email != other.Email || o.MonthlyLimit != 9 || o.Plan != other.Plan {
				t.Fatalf("another account changed: %+v, was %+v", o, other)
			}
		}},
		testCase{"the new limit governs the quota", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 1)
			q := func() walletwallet.Quota {
				got, err := s.Account(ctx, a.ID)
				mustNil(t, err)
				return walletwallet.Quota{Month: "2026-11", Limit: got.Limit(t0)}
			}
			mustNil(t, s.CreatePass(ctx, passFor(a, `{}`), q()))
			wantCode(t, s.CreatePass(ctx, passFor(a, `{}`), q()), walletwallet.EQUOTA)
			two := int64(2)
			_, err := s.UpdateAccount(ctx, a.ID, walletwallet.AccountChange{MonthlyLimit: &two})
			mustNil(t, err)
			mustNil(t, s.CreatePass(ctx, passFor(a, `{}`), q()))
		}},
		testCase{"unknown account", func(t *testing.T, s walletwallet.Store) {
			_, err := s.UpdateAccount(context.Background(), 987654, walletwallet.AccountChange{Email: ptr("x@example.com")})
			wantCode(t, err, walletwallet.ENOTFOUND)
		}},
	)

	register("key listing",
		testCase{"an account's keys, live and revoked, in order", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a, b := newAccount(t, s, 0), newAccount(t, s, 0)
			for i, name := range []string{"k1", "k2", "k3"} {
				mustNil(t, s.CreateKey(ctx, &walletwallet.APIKey{AccountID: a.ID, Hash: keyHash(name), Hint: name + "h", CreatedAt: t0.Add(time.Duration(i) * time.Minute)}))
			}
			mustNil(t, s.CreateKey(ctx, &walletwallet.APIKey{AccountID: b.ID, Hash: keyHash("b1"), Hint: "b1h", CreatedAt: t0}))
			_, err := s.RevokeKey(ctx, keyHash("k2"), t0.Add(time.Hour))
			mustNil(t, err)
			keys, err := s.Keys(ctx, a.ID)
			mustNil(t, err)
			if len(keys) != 3 {
				t.Fatalf("Keys lists %d keys, want 3: %+v", len(keys), keys)
			}
			for i, k := range keys {
				if k.AccountID != a.ID || k.Hint != []string{"k1h", "k2h", "k3h"}[i] {
					t.Fatalf("Keys[%d] = %+v", i, k)
				}
				wantTime(t, "CreatedAt", k.CreatedAt, t0.Add(time.Duration(i)*time.Minute))
				wantBytes(t, "Hash", k.Hash, keyHash([]string{"k1", "k2", "k3"}[i]))
				if (k.RevokedAt != nil) != (i == 1) {
					t.Fatalf("Keys[%d].RevokedAt = %v", i, k.RevokedAt)
				}
			}
			wantTime(t, "RevokedAt", *keys[1].RevokedAt, t0.Add(time.Hour))
			none, err := s.Keys(ctx, 987654)
			mustNil(t, err)
			if len(none) != 0 {
				t.Fatalf("unknown account lists %d keys", len(none))
			}
		}},
		testCase{"revoking twice keeps the first time and says so", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			mustNil(t, s.CreateKey(ctx, &walletwallet.APIKey{AccountID: a.ID, Hash: keyHash("twice"), Hint: "tw1c", CreatedAt: t0}))
			first, err := s.RevokeKey(ctx, keyHash("twice"), t0.Add(time.Hour))
			mustNil(t, err)
			if first.RevokedAt == nil || first.Hint != "tw1c" || first.AccountID != a.ID {
				t.Fatalf("first revoke returned %+v", first)
			}
			wantTime(t, "first RevokedAt", *first.RevokedAt, t0.Add(time.Hour))
			second, err := s.RevokeKey(ctx, keyHash("twice"), t0.Add(2*time.Hour))
			mustNil(t, err)
			if second.RevokedAt == nil {
				t.Fatal("second revoke returned a live key")
			}
			wantTime(t, "second RevokedAt", *second.RevokedAt, t0.Add(time.Hour))
		}},
	)
}
