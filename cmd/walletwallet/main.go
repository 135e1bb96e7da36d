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
	"strings"
	"syscall"

	"github.com/walletwallet/walletwallet/internal/config"
)

const usage = `walletwallet: Apple Wallet passes as a service.

Usage:
  walletwallet serve                      run the API, the PassKit web service and the push worker
  walletwallet migrate                    create the database or apply its pending migrations, and exit
  walletwallet accounts create [--email E] [--org NAME] [--plan trial|free|pro] [--monthly-limit N]
                                          create an account and its first API key (key on stdout)
  walletwallet accounts update ID [--email E] [--org NAME] [--plan trial|free|pro] [--monthly-limit N]
                                          change an account
  walletwallet accounts show ID           an account, its keys and this month's count
  walletwallet accounts list              one line per account
  walletwallet keys create --account ID   add an API key to an account (key on stdout)
  walletwallet keys revoke KEY            revoke an API key
  walletwallet pass build [-i FILE|-] [-o FILE|-] [--plan free|pro] [--web-service]
                                          sign one pass offline from POST /api/pkpass JSON
  walletwallet pass lint [--ca FILE] FILE.pkpass...
                                          check passes as Wallet would; exit 1 on errors
  walletwallet version                    the version, commit and Go version of this binary

Settings come from WW_* environment variables or flags of the same meaning;
"walletwallet COMMAND -h" lists the ones a command uses. The admin commands
(accounts, keys) work on an existing database: only serve and migrate create one.
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

// usageError is a mistake on the command line (exit status 2): run prints
// the message and the command's one-line synopsis, not the whole help.
type usageError struct {
	cmd, synopsis, msg string
}

func (e *usageError) Error() string { return e.msg }

// run executes one command and returns the exit status.
func run(ctx context.Context, args []string, e env) int {
	err := dispatch(ctx, args, e)
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		if ue.cmd == "" {
			fmt.Fprintf(e.stderr, "walletwallet: %s\nusage: walletwallet COMMAND (\"walletwallet help\" lists the commands)\n", ue.msg)
		} else {
			fmt.Fprintf(e.stderr, "walletwallet %s: %s\nusage: walletwallet %s   (-h for details)\n", ue.cmd, ue.msg, ue.synopsis)
		}
		return 2
	default:
		fmt.Fprintln(e.stderr, "walletwallet:", err)
		return 1
	}
}

func dispatch(ctx context.Context, args []string, e env) error {
	if len(args) == 0 {
		return &usageError{msg: "no command given"}
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
	case cmd == "accounts" && sub == "update":
		return cmdAccountsUpdate(ctx, rest[1:], e)
	case cmd == "accounts" && sub == "show":
		return cmdAccountsShow(ctx, rest[1:], e)
	case cmd == "accounts" && sub == "list":
		return cmdAccountsList(ctx, rest[1:], e)
	case cmd == "keys" && sub == "create":
		return cmdKeysCreate(ctx, rest[1:], e)
	case cmd == "keys" && sub == "revoke":
		return cmdKeysRevoke(ctx, rest[1:], e)
	case cmd == "pass" && sub == "build":
		return cmdPassBuild(ctx, rest[1:], e)
	case cmd == "pass" && sub == "lint":
		return cmdPassLint(ctx, rest[1:], e)
	case cmd == "version" || cmd == "--version":
		return cmdVersion(rest, e)
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		fmt.Fprint(e.stdout, usage)
		return nil
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q", strings.Join(args[:min(len(args), 2)], " "))}
}

// The settings each kind of command reads (by variable); -h lists only these.
var (
	databaseSettings = []string{"WW_DATA_DIR", "WW_DATABASE_URL"}
	signingSettings  = []string{"WW_DATA_DIR", "WW_PUBLIC_URL", "WW_PASS_CERT", "WW_PASS_KEY", "WW_PASS_CERT_PASSWORD",
		"WW_WWDR_CERT", "WW_PASS_TYPE_ID", "WW_TEAM_ID", "WW_FETCH_ALLOW_CIDRS", "WW_FETCH_CA", "WW_DEFAULT_ORG", "WW_SELF_CHECK"}
)

// command is one command line being parsed: its flags (the command's own and
// the settings it reads) and what to print for -h and for a mistake.
type command struct {
	name, synopsis string
	fs             *flag.FlagSet
	cfg            *config.Config
	help           func() // prints the -h text on stdout
}

// everySetting is the settings list of serve: an empty list registers all.
var everySetting = []string{}

// newCommand makes the FlagSet of a command that reads the given settings
// (nil: none, everySetting: all). help is the text -h prints above the flags.
func newCommand(e env, name, synopsis, help string, settings []string) *command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// flag would print the whole help on every mistake: run reports a
	// mistake with the synopsis instead, and only -h prints the help.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	c := &command{name: name, synopsis: synopsis, fs: fs}
	if settings != nil {
		c.cfg = config.Register(fs, e.getenv, settings...)
	}
	c.help = func() {
		fmt.Fprintf(e.stdout, "Usage: walletwallet %s\n\n%s\n", synopsis, help)
		if c.cfg != nil {
			fmt.Fprintln(e.stdout, "\nFlags (a setting in [brackets] can also come from that environment variable):")
		} else {
			fmt.Fprintln(e.stdout, "\nFlags:")
		}
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return c
}

// usagef is a usage error of this command.
func (c *command) usagef(format string, args ...any) error {
	return &usageError{cmd: c.name, synopsis: c.synopsis, msg: fmt.Sprintf(format, args...)}
}

// parse parses args, flags and positional arguments in any order, finishes
// the configuration, and returns the positional arguments.
func (c *command) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := c.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.help()
				return nil, err
			}
			return nil, c.usagef("%v", err)
		}
		rest := c.fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	if c.cfg != nil {
		if err := c.cfg.Finish(); err != nil {
			return nil, err
		}
	}
	return pos, nil
}

// set reports whether the flag was given on the command line.
func (c *command) set(name string) bool {
	given := false
	c.fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}
