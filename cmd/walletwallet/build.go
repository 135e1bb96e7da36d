package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/issuer"
	"github.com/walletwallet/walletwallet/internal/pkpass"
)

func cmdPassBuild(ctx context.Context, args []string, e env) error {
	fs, cfg := flags("pass build [-i FILE|-] [-o FILE|-] [--plan free|pro]",
		"Signs one pass offline with the configured identity, from the same JSON as\nPOST /api/pkpass. The serial number is printed on stderr. Without -i the JSON\nis read from stdin; without -o the pass is written to <slug>.pkpass.", e)
	in := fs.String("i", "-", "request JSON file, or - for stdin")
	out := fs.String("o", "", "output .pkpass file, or - for stdout (default <slug>.pkpass)")
	planText := fs.String("plan", "pro", "plan whose feature gate applies: free or pro")
	if _, err := parse(fs, cfg, args); err != nil {
		return err
	}
	plan, ok := walletwallet.ParsePlan(*planText)
	if !ok || plan == walletwallet.PlanTrial {
		return fmt.Errorf("%w: --plan must be free or pro, got %q", errUsage, *planText)
	}
	var body []byte
	var err error
	if *in == "-" {
		body, err = io.ReadAll(io.LimitReader(e.stdin, 1<<20+1))
	} else {
		body, err = os.ReadFile(*in)
	}
	if err != nil {
		return err
	}
	if len(body) > 1<<20 {
		return fmt.Errorf("request JSON is larger than 1 MiB")
	}
	req, err := pkpass.Parse(body)
	if err != nil {
		return err
	}
	if err := req.CheckPlan(plan); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	id, err := loadIdentity(cfg, log)
	if err != nil {
		return err
	}
	r, err := newRenderer(cfg, nil)
	if err != nil {
		return err
	}
	is := newIssuer(cfg, id, r, nil)
	serial := issuer.NewSerial()
	blob, err := is.Build(ctx, req, issuer.Meta{Serial: serial, AuthToken: issuer.NewAuthToken(), FirstIssued: time.Now().UTC()})
	if err != nil {
		return err
	}
	switch dest := *out; dest {
	case "-":
		_, err = e.stdout.Write(blob)
	default:
		if dest == "" {
			dest = req.Slug() + ".pkpass"
		}
		err = os.WriteFile(dest, blob, 0o644)
		if err == nil {
			fmt.Fprintf(e.stderr, "wrote %s (%d bytes)\n", dest, len(blob))
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "serial %s\n", serial)
	return nil
}
