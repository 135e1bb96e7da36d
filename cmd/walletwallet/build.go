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
	c := newCommand(e, "pass build", "pass build [-i FILE|-] [-o FILE|-] [--plan free|pro] [--web-service]",
		"Signs one pass offline with the configured identity, from the same JSON as\nPOST /api/pkpass. The serial number is printed on stderr. Without -i the JSON\nis read from stdin; without -o the pass is written to <slug>.pkpass.\n\n"+
			"The pass is static: it has no webServiceURL or authenticationToken, because no\nserver knows it and a device asking for updates would only be refused.\n"+
			"--web-service adds both (webServiceURL = WW_PUBLIC_URL + /, a new random token,\nprinted on stderr) for a pass your own web service will answer for.", signingSettings)
	in := c.fs.String("i", "-", "request JSON file, or - for stdin")
	out := c.fs.String("o", "", "output .pkpass file, or - for stdout (default <slug>.pkpass)")
	planText := c.fs.String("plan", "pro", "plan whose feature gate applies: free or pro")
	webService := c.fs.Bool("web-service", false, "give the pass webServiceURL (WW_PUBLIC_URL + /) and an authenticationToken")
	rest, err := c.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return c.usagef("unexpected argument %q", rest[0])
	}
	cfg := c.cfg
	plan, ok := walletwallet.ParsePlan(*planText)
	if !ok || plan == walletwallet.PlanTrial {
		return c.usagef("--plan must be free or pro, got %q", *planText)
	}
	var body []byte
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
	meta := issuer.Meta{Serial: issuer.NewSerial(), FirstIssued: time.Now().UTC()}
	if *webService {
		warnPlainWebService(log, cfg)
		meta.AuthToken = issuer.NewAuthToken()
	} else {
		is.WebServiceURL = ""
	}
	blob, err := is.Build(ctx, req, meta)
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
		err = os.WriteFile(dest, blob, 0o644) // a pass is meant to be handed out
		if err == nil {
			fmt.Fprintf(e.stderr, "wrote %s (%d bytes)\n", dest, len(blob))
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "serial %s\n", meta.Serial)
	if meta.AuthToken != "" {
		fmt.Fprintf(e.stderr, "webServiceURL %s\nauthenticationToken %s\n", is.WebServiceURL, meta.AuthToken)
	}
	return nil
}
