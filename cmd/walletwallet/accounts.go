package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/api"
	"github.com/walletwallet/walletwallet/internal/config"
	"github.com/walletwallet/walletwallet/internal/store"
)

func cmdMigrate(ctx context.Context, args []string, e env) error {
	c := newCommand(e, "migrate", "migrate",
		"Creates the database if there is none and applies pending migrations, then exits.", databaseSettings)
	rest, err := c.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return c.usagef("unexpected argument %q", rest[0])
	}
	st, err := store.Open(ctx, c.cfg.DatabaseURL)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stderr, "migrations applied")
	return st.Close()
}

// openExisting opens the database for the admin commands. They never create
// one: run from the wrong folder, a fresh empty database would silently take
// the accounts and keys that serve never sees.
func openExisting(ctx context.Context, cfg *config.Config) (walletwallet.Store, error) {
	if path, ok := store.SQLitePath(cfg.DatabaseURL); ok {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			if abs, err := filepath.Abs(path); err == nil {
				path = abs
			}
			return nil, fmt.Errorf("no database at %s (WW_DATA_DIR is %q): point WW_DATA_DIR or WW_DATABASE_URL at the one serve uses, "+
				"or create one there with \"walletwallet migrate\"", path, cfg.DataDir)
		}
	}
	return store.Open(ctx, cfg.DatabaseURL)
}

// accountFlags are the flags accounts create and accounts update share.
type accountFlags struct {
	email, org, plan *string
	limit            *int64
}

func addAccountFlags(c *command, planDefault string) accountFlags {
	return accountFlags{
		email: c.fs.String("email", "", "contact e-mail of the account"),
		org:   c.fs.String("org", "", "default organizationName of the account's passes (at most 64 characters)"),
		plan:  c.fs.String("plan", planDefault, "trial, free or pro"),
		limit: c.fs.Int64("monthly-limit", 0, "override of the plan's monthly pass limit (0 = the plan's)"),
	}
}

// check validates the flag values and returns the plan; a bad value is a
// usage error.
func (f accountFlags) check(c *command) (walletwallet.Plan, error) {
	if *f.limit < 0 {
		return "", c.usagef("--monthly-limit must be 0 or more, got %d", *f.limit)
	}
	if len(*f.org) > 64 {
		return "", c.usagef("--org must be at most 64 characters, got %d", len(*f.org))
	}
	if err := checkEmail(*f.email); err != nil {
		return "", c.usagef("%v", err)
	}
	plan, ok := walletwallet.ParsePlan(*f.plan)
	if !ok && (c.set("plan") || c.name == "accounts create") {
		return "", c.usagef("--plan must be trial, free or pro, got %q", *f.plan)
	}
	return plan, nil
}

// checkEmail accepts "" (no e-mail) or one bare address like owner@example.com.
func checkEmail(s string) error {
	if s == "" {
		return nil
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s[strings.LastIndex(s, "@")+1:], ".") {
		return fmt.Errorf("--email %q is not an e-mail address like owner@example.com", s)
	}
	if len(s) > 254 {
		return fmt.Errorf("--email must be at most 254 characters, got %d", len(s))
	}
	return nil
}

func cmdAccountsCreate(ctx context.Context, args []string, e env) error {
	c := newCommand(e, "accounts create", "accounts create [--email E] [--org NAME] [--plan trial|free|pro] [--monthly-limit N]",
		"Creates an account and its first API key. The key is the only line on stdout;\n\"account <ID>\" goes to stderr. Without --plan the account gets the 30-day Pro trial.", databaseSettings)
	f := addAccountFlags(c, "trial")
	rest, err := c.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return c.usagef("unexpected argument %q", rest[0])
	}
	plan, err := f.check(c)
	if err != nil {
		return err
	}
	st, err := openExisting(ctx, c.cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	a := &walletwallet.Account{Email: *f.email, Org: *f.org, Plan: plan, MonthlyLimit: *f.limit, CreatedAt: time.Now().UTC()}
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

// accountID parses the ID argument of accounts update and accounts show.
func accountID(c *command, rest []string) (int64, error) {
	if len(rest) != 1 {
		return 0, c.usagef("takes exactly one account ID, got %d arguments", len(rest))
	}
	id, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, c.usagef("account ID must be a positive number, got %q", rest[0])
	}
	return id, nil
}

func cmdAccountsUpdate(ctx context.Context, args []string, e env) error {
	c := newCommand(e, "accounts update", "accounts update ID [--email E] [--org NAME] [--plan trial|free|pro] [--monthly-limit N]",
		"Changes the given fields of an account and prints nothing. --monthly-limit 0\nreturns the account to its plan's limit; --org \"\" and --email \"\" clear them.\nA trial runs 30 days from the account's creation, so --plan trial is refused\nonce those days are over.", databaseSettings)
	f := addAccountFlags(c, "")
	rest, err := c.parse(args)
	if err != nil {
		return err
	}
	id, err := accountID(c, rest)
	if err != nil {
		return err
	}
	plan, err := f.check(c)
	if err != nil {
		return err
	}
	var change walletwallet.AccountChange
	if c.set("plan") {
		change.Plan = &plan
	}
	if c.set("email") {
		change.Email = f.email
	}
	if c.set("org") {
		change.Org = f.org
	}
	if c.set("monthly-limit") {
		change.MonthlyLimit = f.limit
	}
	if change == (walletwallet.AccountChange{}) {
		return c.usagef("nothing to change: give at least one of --email, --org, --plan, --monthly-limit")
	}
	st, err := openExisting(ctx, c.cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	a, err := accountByID(ctx, st, id)
	if err != nil {
		return err
	}
	if change.Plan != nil && *change.Plan == walletwallet.PlanTrial {
		if end := a.CreatedAt.Add(walletwallet.TrialLength); !time.Now().Before(end) {
			return fmt.Errorf("account %d's trial ended on %s (trials run 30 days from creation): use --plan pro or --plan free",
				id, end.UTC().Format("2006-01-02"))
		}
	}
	_, err = st.UpdateAccount(ctx, id, change)
	return noAccount(err, id)
}

// accountByID loads an account for an admin command, saying plainly when
// there is none (the store's not-found error names no ID).
func accountByID(ctx context.Context, st walletwallet.Store, id int64) (*walletwallet.Account, error) {
	a, err := st.Account(ctx, id)
	return a, noAccount(err, id)
}

// noAccount turns the store's not-found error into the admin commands' message.
func noAccount(err error, id int64) error {
	if walletwallet.ErrorCode(err) == walletwallet.ENOTFOUND {
		return fmt.Errorf("no account %d", id)
	}
	return err
}

func cmdAccountsShow(ctx context.Context, args []string, e env) error {
	c := newCommand(e, "accounts show", "accounts show ID",
		"Prints an account: its fields, this month's (UTC) count against its limit,\nand its API keys: id, hint (the key's last four characters), created, revoked.", databaseSettings)
	rest, err := c.parse(args)
	if err != nil {
		return err
	}
	id, err := accountID(c, rest)
	if err != nil {
		return err
	}
	st, err := openExisting(ctx, c.cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	a, err := accountByID(ctx, st, id)
	if err != nil {
		return err
	}
	now := time.Now()
	used, err := st.Usage(ctx, id, walletwallet.Month(now))
	if err != nil {
		return err
	}
	keys, err := st.Keys(ctx, id)
	if err != nil {
		return err
	}
	plan := string(a.EffectivePlan(now))
	if a.Plan == walletwallet.PlanTrial {
		end := a.CreatedAt.Add(walletwallet.TrialLength).UTC().Format("2006-01-02")
		if a.EffectivePlan(now) == walletwallet.PlanPro {
			plan = "pro (trial until " + end + ", then free)"
		} else {
			plan = "free (trial ended " + end + ")"
		}
	}
	limit := strconv.FormatInt(a.Limit(now), 10) + " a month (the plan's)"
	if a.MonthlyLimit > 0 {
		limit = strconv.FormatInt(a.MonthlyLimit, 10) + " a month (set for this account)"
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "id\t%d\n", a.ID)
	fmt.Fprintf(tw, "email\t%s\n", dash(a.Email))
	fmt.Fprintf(tw, "org\t%s\n", dash(a.Org))
	fmt.Fprintf(tw, "plan\t%s\n", plan)
	fmt.Fprintf(tw, "limit\t%s\n", limit)
	fmt.Fprintf(tw, "used\t%d in %s (UTC)\n", used, walletwallet.Month(now))
	fmt.Fprintf(tw, "created\t%s\n", a.CreatedAt.UTC().Format(time.RFC3339))
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nkeys (%d)\n", len(keys))
	if len(keys) == 0 {
		return nil
	}
	tw = tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ID\tHINT\tCREATED\tREVOKED")
	for _, k := range keys {
		revoked := "-"
		if k.RevokedAt != nil {
			revoked = k.RevokedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "  %d\t…%s\t%s\t%s\n", k.ID, k.Hint, k.CreatedAt.UTC().Format(time.RFC3339), revoked)
	}
	return tw.Flush()
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
	c := newCommand(e, "keys create", "keys create --account ID", "Adds an API key to an account; prints only the key on stdout.", databaseSettings)
	id := c.fs.Int64("account", 0, "account id")
	rest, err := c.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return c.usagef("unexpected argument %q", rest[0])
	}
	if *id <= 0 {
		return c.usagef("--account ID is required")
	}
	st, err := openExisting(ctx, c.cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := accountByID(ctx, st, *id); err != nil {
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
	c := newCommand(e, "keys revoke", "keys revoke KEY",
		"Revokes an API key: later requests with it get 401; the account and its passes stay.\nRevoking a revoked key changes nothing and says when it was revoked.", databaseSettings)
	rest, err := c.parse(args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return c.usagef("takes exactly one KEY, got %d arguments", len(rest))
	}
	key := strings.TrimSpace(rest[0])
	if !api.ValidKeyFormat(key) {
		return fmt.Errorf("%q is not an API key (ww_live_ + 32 lowercase hex characters)", key)
	}
	st, err := openExisting(ctx, c.cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now().UTC().Truncate(time.Millisecond)
	k, err := st.RevokeKey(ctx, api.HashKey(key), now)
	if err != nil {
		if walletwallet.ErrorCode(err) == walletwallet.ENOTFOUND {
			return fmt.Errorf("no such key")
		}
		return err
	}
	if k.RevokedAt != nil && !k.RevokedAt.Equal(now) {
		fmt.Fprintf(e.stderr, "key …%s of account %d was already revoked on %s\n", k.Hint, k.AccountID, k.RevokedAt.UTC().Format(time.RFC3339))
		return nil
	}
	fmt.Fprintf(e.stderr, "key …%s of account %d revoked\n", k.Hint, k.AccountID)
	return nil
}

func cmdAccountsList(ctx context.Context, args []string, e env) error {
	c := newCommand(e, "accounts list", "accounts list", "Lists accounts, one per line, in aligned columns:\n  ID  PLAN  TRIAL_ENDS  LIMIT  USED  EMAIL  ORG  CREATED\nPLAN is the effective plan now (free or pro); TRIAL_ENDS is the trial's end date\nor \"-\"; USED is this month's (UTC) count.", databaseSettings)
	rest, err := c.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return c.usagef("unexpected argument %q", rest[0])
	}
	st, err := openExisting(ctx, c.cfg)
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

// dash shows "" as "-" and quotes control characters, so one field is one column.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}
