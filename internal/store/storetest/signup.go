package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/walletwallet/walletwallet"
)

func signupKey(n int) *walletwallet.APIKey {
	h := make([]byte, 32)
	copy(h, fmt.Sprintf("signup-key-%d", n))
	return &walletwallet.APIKey{Hash: h, Hint: fmt.Sprintf("%04d", n)}
}

func init() {
	register("signup",
		testCase{"creates the account and its key", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := &walletwallet.Account{Email: "new@example.com", Plan: walletwallet.PlanTrial, CreatedAt: t0}
			k := signupKey(1)
			mustNil(t, s.Signup(ctx, a, k))
			if a.ID == 0 || k.ID == 0 || k.AccountID != a.ID {
				t.Fatalf("ids not set: account %+v key %+v", a, k)
			}
			got, err := s.AccountByKey(ctx, k.Hash)
			mustNil(t, err)
			if got.ID != a.ID || got.Email != "new@example.com" || got.Plan != walletwallet.PlanTrial {
				t.Fatalf("AccountByKey = %+v, want %+v", got, a)
			}
			wantTime(t, "CreatedAt", got.CreatedAt, t0)
		}},
		testCase{"taken e-mail is ECONFLICT, any ASCII case, nothing written", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			// An account the operator made, not through signup.
			mustNil(t, s.CreateAccount(ctx, &walletwallet.Account{Email: "Owner@Example.com", Plan: walletwallet.PlanPro}))
			for i, email := range []string{"Owner@Example.com", "owner@example.com", "OWNER@EXAMPLE.COM"} {
				k := signupKey(10 + i)
				wantCode(t, s.Signup(ctx, &walletwallet.Account{Email: email, Plan: walletwallet.PlanTrial}, k), walletwallet.ECONFLICT)
				_, err := s.AccountByKey(ctx, k.Hash)
				wantCode(t, err, walletwallet.ENOTFOUND)
			}
			list, err := s.Accounts(ctx)
			mustNil(t, err)
			if len(list) != 1 {
				t.Fatalf("%d accounts after refused signups, want 1", len(list))
			}
			// A different address is fine.
			mustNil(t, s.Signup(ctx, &walletwallet.Account{Email: "owner2@example.com", Plan: walletwallet.PlanTrial}, signupKey(20)))
		}},
		testCase{"concurrent signups for one e-mail: exactly one wins", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			const n = 8
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = s.Signup(ctx, &walletwallet.Account{Email: "race@example.com", Plan: walletwallet.PlanTrial}, signupKey(100+i))
				}()
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				if err == nil {
					won++
				} else {
					wantCode(t, err, walletwallet.ECONFLICT)
				}
			}
			if won != 1 {
				t.Fatalf("%d signups succeeded, want 1", won)
			}
			list, err := s.Accounts(ctx)
			mustNil(t, err)
			if len(list) != 1 {
				t.Fatalf("%d accounts, want 1", len(list))
			}
		}},
	)
}
