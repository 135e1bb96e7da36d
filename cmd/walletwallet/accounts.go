package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/api"
	"github.com/walletwallet/walletwallet/internal/store"
)

func cmdMigrate(ctx context.Context, args []string, e env) error {
	fs, cfg := flags("migrate", "Applies pending database migrations and exits.", e)
	if _, err := parse(fs, cfg, args); err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stderr, "migrations applied")
	return st.Close()
}

func cmdAccountsCreate(ctx context.Context, args []string, e env) error {
	fs, cfg := flags("accounts create [--email E] [--org NAME] [--plan trial|free|pro] [--monthly-limit N]",
		"Creates an account and its first API key. The key is the only line on stdout;\n\"account <ID>\" goes to stderr. Without --plan the account gets the 30-day Pro trial.", e)
	email := fs.String("email", "", "contact e-mail of the account")
	org := fs.String("org", "", "default organizationName of the account's passes")
	planText := fs.String("plan", "trial", "trial, free or pro")
	limit := fs.Int64("monthly-limit", 0, "override of the plan's monthly pass limit (0 = the plan's)")
	rest, err := parse(fs, cfg, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
	}
	plan, ok := walletwallet.ParsePlan(*planText)
	if !ok {
		return fmt.Errorf("%w: --plan must be trial, free or pro, got %q", errUsage, *planText)
	}
	if *limit < 0 {
		return fmt.Errorf("%w: --monthly-limit must be 0 or more", errUsage)
	}
	if len(*org) > 64 {
		return fmt.Errorf("%w: --org must be at most 64 characters", errUsage)
	}
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	a := &walletwallet.Account{Email: *email, Org: *org, Plan: plan, MonthlyLimit: *limit, CreatedAt: time.Now().UTC()}
	if err := st.CreateAccount(ctx, a); err != nil {
		return err
	}
	key, err := addKey(ctx, st, a.ID)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, key)
	fmt.Fprintf(e.stderr, "account %d\n", a.ID)
	return nil
}

func addKey(ctx context.Context, st walletwallet.Store, accountID int64) (string, error) {
	key := api.NewKey()
	k := &walletwallet.APIKey{AccountID: accountID, Hash: api.HashKey(key), Hint: key[len(key)-4:], CreatedAt: time.Now().UTC()}
	if err := st.CreateKey(ctx, k); err != nil {
		return "", err
	}
	return key, nil
}

func cmdKeysCreate(ctx context.Context, args []string, e env) error {
	fs, cfg := flags("keys create --account ID", "Adds an API key to an account; prints only the key on stdout.", e)
	id := fs.Int64("account", 0, "account id")
	if _, err := parse(fs, cfg, args); err != nil {
		return err
	}
	if *id <= 0 {
		return fmt.Errorf("%w: --account ID is required", errUsage)
	}
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Account(ctx, *id); err != nil {
		if walletwallet.ErrorCode(err) == walletwallet.ENOTFOUND {
			return fmt.Errorf("no account %d", *id)
		}
		return err
	}
	key, err := addKey(ctx, st, *id)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, key)
	return nil
}

func cmdKeysRevoke(ctx context.Context, args []string, e env) error {
	fs, cfg := flags("keys revoke KEY", "Revokes an API key: later requests with it get 401; the account and its passes stay.", e)
	rest, err := parse(fs, cfg, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: keys revoke takes exactly one KEY", errUsage)
	}
	key := strings.TrimSpace(rest[0])
	if !api.ValidKeyFormat(key) {
		return fmt.Errorf("%q is not an API key (ww_live_ + 32 lowercase hex characters)", key)
	}
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.RevokeKey(ctx, api.HashKey(key), time.Now().UTC()); err != nil {
		if walletwallet.ErrorCode(err) == walletwallet.ENOTFOUND {
			return fmt.Errorf("no such key")
		}
		return err
	}
	fmt.Fprintln(e.stderr, "key revoked")
	return nil
}

func cmdAccountsList(ctx context.Context, args []string, e env) error {
	fs, cfg := flags("accounts list", "Lists accounts, one per line, in aligned columns:\n  ID  PLAN  TRIAL_ENDS  LIMIT  USED  EMAIL  ORG  CREATED\nPLAN is the effective plan now (free or pro); TRIAL_ENDS is the trial's end date\nor \"-\"; USED is this month's (UTC) count.", e)
	if _, err := parse(fs, cfg, args); err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	accounts, err := st.Accounts(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPLAN\tTRIAL_ENDS\tLIMIT\tUSED\tEMAIL\tORG\tCREATED")
	for _, a := range accounts {
		used, err := st.Usage(ctx, a.ID, walletwallet.Month(now))
		if err != nil {
			return err
		}
		trial := "-"
		if a.Plan == walletwallet.PlanTrial {
			trial = a.CreatedAt.Add(walletwallet.TrialLength).UTC().Format("2006-01-02")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", a.ID, a.EffectivePlan(now), trial, a.Limit(now), used,
			dash(a.Email), dash(a.Org), a.CreatedAt.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return strconv.Quote(s)[1 : len(strconv.Quote(s))-1]
}
