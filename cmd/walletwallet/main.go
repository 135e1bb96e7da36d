// Command walletwallet is the whole product in one binary: the HTTP server
// (API, PassKit web service, push worker), the account and key admin
// commands, migrations, and offline pass signing. This package only parses
// arguments and wires the internal packages together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/walletwallet/walletwallet/internal/config"
)

const usage = `walletwallet: Apple Wallet passes as a service.

Usage:
  walletwallet serve                      run the API, the PassKit web service and the push worker
  walletwallet migrate                    apply database migrations and exit
  walletwallet accounts create [--email E] [--org NAME] [--plan trial|free|pro] [--monthly-limit N]
                                          create an account and its first API key (key on stdout)
  walletwallet accounts list              one line per account
  walletwallet keys create --account ID   add an API key to an account (key on stdout)
  walletwallet keys revoke KEY            revoke an API key
  walletwallet pass build [-i FILE|-] [-o FILE] [--plan free|pro]
                                          sign one pass offline from POST /api/pkpass JSON

Every command reads the same configuration from WW_* environment variables or
flags of the same meaning; run "walletwallet serve -h" to list them.
`

// env is the process environment, replaceable in tests.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], env{os.Stdin, os.Stdout, os.Stderr, os.Getenv}))
}

// errUsage marks an error whose message is a usage problem (exit status 2).
var errUsage = errors.New("usage")

// run executes one command and returns the exit status.
func run(ctx context.Context, args []string, e env) int {
	err := dispatch(ctx, args, e)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(e.stderr, err)
		return 2
	default:
		fmt.Fprintln(e.stderr, "walletwallet:", err)
		return 1
	}
}

func dispatch(ctx context.Context, args []string, e env) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return fmt.Errorf("%w: no command given", errUsage)
	}
	cmd, rest := args[0], args[1:]
	sub := ""
	if len(rest) > 0 {
		sub = rest[0]
	}
	switch {
	case cmd == "serve":
		return cmdServe(ctx, rest, e)
	case cmd == "migrate":
		return cmdMigrate(ctx, rest, e)
	case cmd == "accounts" && sub == "create":
		return cmdAccountsCreate(ctx, rest[1:], e)
	case cmd == "accounts" && sub == "list":
		return cmdAccountsList(ctx, rest[1:], e)
	case cmd == "keys" && sub == "create":
		return cmdKeysCreate(ctx, rest[1:], e)
	case cmd == "keys" && sub == "revoke":
		return cmdKeysRevoke(ctx, rest[1:], e)
	case cmd == "pass" && sub == "build":
		return cmdPassBuild(ctx, rest[1:], e)
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		fmt.Fprint(e.stdout, usage)
		return nil
	}
	fmt.Fprint(e.stderr, usage)
	return fmt.Errorf("%w: unknown command %q", errUsage, joinWords(args, 2))
}

func joinWords(args []string, n int) string {
	if len(args) > n {
		args = args[:n]
	}
	s := ""
	for i, a := range args {
		if i > 0 {
			s += " "
		}
		s += a
	}
	return s
}

// flags makes a FlagSet that also carries every configuration setting.
func flags(name, help string, e env) (*flag.FlagSet, *config.Config) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfg := config.Register(fs, e.getenv)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: walletwallet %s\n\n%s\nFlags (each also read from the WW_* variable shown):\n", name, help)
		fs.PrintDefaults()
	}
	return fs, cfg
}

// parse parses args and finishes the configuration; positional arguments are returned.
func parse(fs *flag.FlagSet, cfg *config.Config, args []string) ([]string, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := cfg.Finish(); err != nil {
		return nil, err
	}
	return fs.Args(), nil
}
