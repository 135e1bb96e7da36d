package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/walletwallet/walletwallet/internal/lint"
)

// maxLintFile bounds what pass lint reads: a pass is a few MiB at most.
const maxLintFile = 64 << 20

func cmdPassLint(_ context.Context, args []string, e env) error {
	c := newCommand(e, "pass lint", "pass lint [--ca FILE] FILE.pkpass...",
		"Checks .pkpass files the way Wallet and Apple's validators do: the zip read as\n"+
			"a stream, manifest hashes, the signature and its chain, pass.json's required\n"+
			"keys, web service, field keys, dates and colours, and each image's slot and\n"+
			"size for the pass's style. Prints one line per finding; exits 1 when any file\n"+
			"has an error (warnings alone exit 0).", nil)
	ca := c.fs.String("ca", "", "PEM file of root certificates the signature must chain to (Apple's root, or\n$WW_DATA_DIR/dev-identity/ca.pem for development passes); without it the chain is only checked to be complete")
	files, err := c.parse(args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return c.usagef("no .pkpass file given")
	}
	var o lint.Options
	if *ca != "" {
		pem, err := os.ReadFile(*ca)
		if err != nil {
			return err
		}
		o.Roots = x509.NewCertPool()
		if !o.Roots.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--ca %s holds no PEM certificate", *ca)
		}
	}
	bad := 0
	for _, name := range files {
		b, err := readLimited(name, maxLintFile)
		if err != nil {
			return err
		}
		rep := lint.Check(b, o)
		for _, f := range rep.Findings {
			fmt.Fprintf(e.stdout, "%s: %s\n", name, f)
		}
		if n := rep.Errors(); n > 0 {
			bad++
			fmt.Fprintf(e.stdout, "%s: %d errors, %d warnings\n", name, n, len(rep.Findings)-n)
		} else {
			fmt.Fprintf(e.stdout, "%s: ok (%d warnings)\n", name, len(rep.Findings))
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d passes have errors", bad, len(files))
	}
	return nil
}

func readLimited(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%s is larger than %d MiB: not a pass", name, max>>20)
	}
	return os.ReadFile(name)
}
