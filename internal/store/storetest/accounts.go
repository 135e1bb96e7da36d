package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

func init() {
	register("accounts",
		testCase{"plan round trip", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			for _, plan := range []walletwallet.Plan{walletwallet.PlanTrial, walletwallet.PlanFree, walletwallet.PlanPro} {
				a := &walletwallet.Account{Email: string(plan) + "@example.com", Org: "Org " + string(plan), Plan: plan, MonthlyLimit: 7, CreatedAt: t0}
				mustNil(t, s.CreateAccount(ctx, a))
				if a.ID == 0 {
					t.Fatal("CreateAccount left ID 0")
				}
				got, err := s.Account(ctx, a.ID)
				mustNil(t, err)
				if got.ID != a.ID || got.Email != a.Email || got.Org != a.Org || got.Plan != plan || got.MonthlyLimit != 7 {
					t.Fatalf("Account = %+v, want %+v", got, a)
				}
				wantTime(t, "CreatedAt", got.CreatedAt, t0)
			}
		}},
		testCase{"trial resolves by creation time", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := &walletwallet.Account{Email: "t@example.com", Plan: walletwallet.PlanTrial, CreatedAt: t0}
			mustNil(t, s.CreateAccount(ctx, a))
			got, err := s.Account(ctx, a.ID)
			mustNil(t, err)
			if p := got.EffectivePlan(t0.Add(time.Hour)); p != walletwallet.PlanPro {
				t.Fatalf("plan during trial = %q", p)
			}
			if p := got.EffectivePlan(t0.Add(walletwallet.TrialLength)); p != walletwallet.PlanFree {
				t.Fatalf("plan after trial = %q", p)
			}
		}},
		testCase{"zero created time is set", func(t *testing.T, s walletwallet.Store) {
			a := &walletwallet.Account{Email: "z@example.com", Plan: walletwallet.PlanFree}
			mustNil(t, s.CreateAccount(context.Background(), a))
			if a.CreatedAt.IsZero() {
				t.Fatal("CreatedAt still zero")
			}
			got, err := s.Account(context.Background(), a.ID)
			mustNil(t, err)
			wantTime(t, "CreatedAt", got.CreatedAt, a.CreatedAt)
		}},
		testCase{"unknown account", func(t *testing.T, s walletwallet.Store) {
			_, err := s.Account(context.Background(), 987654)
			wantCode(t, err, walletwallet.ENOTFOUND)
		}},
		testCase{"list ordered by id", func(t *testing.T, s walletwallet.Store) {
			list, err := s.Accounts(context.Background())
			mustNil(t, err)
			if len(list) != 0 {
				t.Fatalf("fresh store lists %d accounts", len(list))
			}
			var ids []int64
			for range 3 {
				ids = append(ids, newAccount(t, s, 0).ID)
			}
			list, err = s.Accounts(context.Background())
			mustNil(t, err)
			if len(list) != 3 {
				t.Fatalf("Accounts lists %d, want 3", len(list))
			}
			for i, a := range list {
				if a.ID != ids[i] {
					t.Fatalf("Accounts[%d].ID = %d, want %d", i, a.ID, ids[i])
				}
			}
		}},
	)

	register("keys",
		testCase{"live key finds its account", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			k := &walletwallet.APIKey{AccountID: a.ID, Hash: keyHash("k1"), Hint: "abcd", CreatedAt: t0}
			mustNil(t, s.CreateKey(ctx, k))
			if k.ID == 0 {
				t.Fatal("CreateKey left ID 0")
			}
			got, err := s.AccountByKey(ctx, keyHash("k1"))
			mustNil(t, err)
			if got.ID != a.ID || got.Email != a.Email {
				t.Fatalf("AccountByKey = %+v, want account %d", got, a.ID)
			}
		}},
		testCase{"unknown key", func(t *testing.T, s walletwallet.Store) {
			_, err := s.AccountByKey(context.Background(), keyHash("nobody"))
			wantCode(t, err, walletwallet.ENOTFOUND)
		}},
		testCase{"key for unknown account", func(t *testing.T, s walletwallet.Store) {
			err := s.CreateKey(context.Background(), &walletwallet.APIKey{AccountID: 424242, Hash: keyHash("x"), CreatedAt: t0})
			wantCode(t, err, walletwallet.ENOTFOUND)
		}},
		testCase{"revoked key is not found, others live on", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			mustNil(t, s.CreateKey(ctx, &walletwallet.APIKey{AccountID: a.ID, Hash: keyHash("old"), CreatedAt: t0}))
			mustNil(t, s.CreateKey(ctx, &walletwallet.APIKey{AccountID: a.ID, Hash: keyHash("new"), CreatedAt: t0}))
			_, err := s.RevokeKey(ctx, keyHash("old"), t0.Add(time.Hour))
			mustNil(t, err)
			_, err = s.AccountByKey(ctx, keyHash("old"))
			wantCode(t, err, walletwallet.ENOTFOUND)
			got, err := s.AccountByKey(ctx, keyHash("new"))
			mustNil(t, err)
			if got.ID != a.ID {
				t.Fatalf("other key resolves to %d, want %d", got.ID, a.ID)
			}
		}},
		testCase{"revoke unknown key", func(t *testing.T, s walletwallet.Store) {
			_, err := s.RevokeKey(context.Background(), keyHash("ghost"), t0)
			wantCode(t, err, walletwallet.ENOTFOUND)
		}},
	)

	register("usage",
		testCase{"counted per account and month", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a, b := newAccount(t, s, 0), newAccount(t, s, 0)
			nov := walletwallet.Quota{Month: "2026-11", Limit: 10}
			dec := walletwallet.Quota{Month: "2026-12", Limit: 10}
			for _, q := range []walletwallet.Quota{nov, nov, dec} {
				mustNil(t, s.CreatePass(ctx, passFor(a, `{}`), q))
			}
			mustNil(t, s.CreatePass(ctx, passFor(b, `{}`), nov))
			for _, c := range []struct {
				name    string
				account int64
				month   string
				want    int64
			}{
				{"a november", a.ID, "2026-11", 2},
				{"a december", a.ID, "2026-12", 1},
				{"a untouched month", a.ID, "2027-01", 0},
				{"b november", b.ID, "2026-11", 1},
				{"unknown account", 999999, "2026-11", 0},
			} {
				got, err := s.Usage(ctx, c.account, c.month)
				mustNil(t, err)
				if got != c.want {
					t.Errorf("%s: Usage = %d, want %d", c.name, got, c.want)
				}
			}
		}},
	)
}
