package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/walletwallet/walletwallet/internal/signing"
)

// version is the release this binary was built as; a release build sets it
// with -ldflags "-X main.version=v1.2.3". Otherwise the module version the Go
// toolchain recorded is used (the tag for `go install …@v1.2.3`, a
// pseudo-version or "(devel)" for a build from a checkout).
var version string

func cmdVersion(args []string, e env) error {
	c := newCommand(e, "version", "version", "Prints the version, commit, Go toolchain and RSA signer of this binary.", nil)
	rest, err := c.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return c.usagef("unexpected argument %q", rest[0])
	}
	fmt.Fprintln(e.stdout, versionLine())
	return nil
}

// versionLine is "walletwallet VERSION (commit REV[, modified], TIME) GO OS/ARCH,
// signer NAME"; the parenthesis is left out when the build recorded no
// commit. NAME is the RSA implementation the build signs with
// (signing.SignerName: Go crypto/rsa by default, OpenSSL with -tags openssl).
func versionLine() string {
	v := releaseVersion()
	var rev, when, modified string
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = ", modified"
				}
			}
		}
	}
	line := "walletwallet " + v
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		line += fmt.Sprintf(" (commit %s%s", rev, modified)
		if when != "" {
			line += ", " + when
		}
		line += ")"
	}
	return line + " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ", signer " + signing.SignerName()
}

// releaseVersion is the version alone: the release's, else the module
// version the toolchain recorded, else "(unknown)".
func releaseVersion() string {
	v := version
	if info, ok := debug.ReadBuildInfo(); ok && v == "" {
		v = info.Main.Version
	}
	if v == "" {
		v = "(unknown)"
	}
	return v
}
