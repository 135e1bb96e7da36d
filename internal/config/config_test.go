package config

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func load(t *testing.T, env map[string]string, args ...string) (*Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c := Register(fs, func(k string) string { return env[k] })
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return c, c.Finish()
}

func TestDefaults(t *testing.T) {
	c, err := load(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DataDir != "./data" || c.DatabaseURL != "sqlite:data/walletwallet.db" ||
		c.PublicURL != "http://localhost:8080" || c.APNsURL != "https://api.push.apple.com" || c.DefaultOrg != "WalletWallet" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestEnvAndFlags(t *testing.T) {
	env := map[string]string{"WW_ADDR": ":9000", "WW_DATA_DIR": "/tmp/x", "WW_PUBLIC_URL": "https://pass.example.com/", "WW_FETCH_ALLOW_CIDRS": "10.1.0.0/16, 192.168.1.7"}
	c, err := load(t, env, "-addr", "127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:1" {
		t.Errorf("flag should win over env, got %q", c.Addr)
	}
	if c.DatabaseURL != "sqlite:/tmp/x/walletwallet.db" {
		t.Errorf("database url from data dir: %q", c.DatabaseURL)
	}
	if c.PublicURL != "https://pass.example.com" {
		t.Errorf("public url trailing slash trimmed: %q", c.PublicURL)
	}
	if len(c.FetchAllow) != 2 || c.FetchAllow[0].String() != "10.1.0.0/16" || c.FetchAllow[1].String() != "192.168.1.7/32" {
		t.Errorf("fetch allow: %v", c.FetchAllow)
	}
}

func TestMetricsAllowedNetworks(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"default", nil, "[127.0.0.0/8 ::1/128]"},
		{"explicit", map[string]string{"WW_METRICS_ALLOWED_NETWORKS": " 10.0.0.1/8, fd00::7"}, "[10.0.0.0/8 fd00::7/128]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := load(t, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(c.MetricsAllowed); got != tc.want {
				t.Errorf("MetricsAllowed = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestInvalid(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"cert without wwdr", map[string]string{"WW_PASS_CERT": "c.p12"}, "WW_WWDR_CERT is required"},
		{"key without cert", map[string]string{"WW_PASS_KEY": "k.pem"}, "WW_PASS_CERT is not"},
		{"bad public url", map[string]string{"WW_PUBLIC_URL": "pass.example.com"}, "WW_PUBLIC_URL must start with https://"},
		{"bad cidr", map[string]string{"WW_FETCH_ALLOW_CIDRS": "10.0.0.0/99"}, "WW_FETCH_ALLOW_CIDRS"},
		{"bad metrics range", map[string]string{"WW_METRICS_ALLOWED_NETWORKS": "127.0.0.0/8,localhost"}, "WW_METRICS_ALLOWED_NETWORKS"},
		{"apns key without id", map[string]string{"WW_APNS_KEY": "a.p8"}, "WW_APNS_KEY_ID"},
		{"log level", map[string]string{"WW_LOG_LEVEL": "loud"}, "WW_LOG_LEVEL"},
		{"signup", map[string]string{"WW_SIGNUP": "yes"}, "WW_SIGNUP must be open or closed"},
		{"self-check", map[string]string{"WW_SELF_CHECK": "on"}, "WW_SELF_CHECK must be lint or empty"},
		{"pprof on every interface", map[string]string{"WW_PPROF_ADDR": ":6060"}, `WW_PPROF_ADDR must be on a loopback address (127.0.0.1 or ::1), got host ""`},
		{"pprof on a public address", map[string]string{"WW_PPROF_ADDR": "192.0.2.1:6060"}, `got host "192.0.2.1"`},
		{"pprof by name", map[string]string{"WW_PPROF_ADDR": "localhost:6060"}, `got host "localhost"`},
		{"pprof without port", map[string]string{"WW_PPROF_ADDR": "127.0.0.1"}, "WW_PPROF_ADDR must be host:port"},
		{"pprof bad port", map[string]string{"WW_PPROF_ADDR": "127.0.0.1:http"}, `must have a port number, got "http"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestRedacted(t *testing.T) {
	c, err := load(t, map[string]string{"WW_DATABASE_URL": "postgres://ww:s3cret@db:5432/ww", "WW_PASS_CERT_PASSWORD": "hunter2"})
	if err != nil {
		t.Fatal(err)
	}
	dump := strings.Join(c.Redacted(), "\n")
	if strings.Contains(dump, "s3cret") || strings.Contains(dump, "hunter2") {
		t.Fatalf("secret in dump:\n%s", dump)
	}
	if !strings.Contains(dump, "WW_DATABASE_URL=postgres://ww:[redacted]@db:5432/ww") {
		t.Fatalf("database url not shown redacted:\n%s", dump)
	}
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	dsn := filepath.Join(dir, "dsn")
	os.WriteFile(pw, []byte("correct horse \n"), 0o600)
	os.WriteFile(dsn, []byte("postgres://ww:s3cret@db/ww\r\n"), 0o600)
	t.Run("read, trailing line ends dropped", func(t *testing.T) {
		c, err := load(t, map[string]string{"WW_PASS_CERT_PASSWORD_FILE": pw, "WW_DATABASE_URL_FILE": dsn})
		if err != nil {
			t.Fatal(err)
		}
		if c.PassCertPass != "correct horse " || c.DatabaseURL != "postgres://ww:s3cret@db/ww" {
			t.Fatalf("password %q, database url %q", c.PassCertPass, c.DatabaseURL)
		}
		if !c.Explicit("WW_DATABASE_URL") {
			t.Error("a value from a file is not the default")
		}
	})
	t.Run("the flag wins over the file", func(t *testing.T) {
		c, err := load(t, map[string]string{"WW_PASS_CERT_PASSWORD_FILE": pw}, "-pass-cert-password", "fromflag")
		if err != nil || c.PassCertPass != "fromflag" {
			t.Fatalf("password %q, err %v", c.PassCertPass, err)
		}
	})
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"both variables", map[string]string{"WW_PASS_CERT_PASSWORD": "x", "WW_PASS_CERT_PASSWORD_FILE": pw}, "WW_PASS_CERT_PASSWORD and WW_PASS_CERT_PASSWORD_FILE are both set"},
		{"missing file", map[string]string{"WW_DATABASE_URL_FILE": filepath.Join(dir, "nope")}, "WW_DATABASE_URL_FILE: open"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("not a secret: no file variant", func(t *testing.T) {
		c, err := load(t, map[string]string{"WW_ADDR_FILE": pw})
		if err != nil || c.Addr != ":8080" {
			t.Fatalf("addr %q, err %v", c.Addr, err)
		}
	})
}

func TestSubset(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	var help strings.Builder
	fs.SetOutput(&help)
	env := map[string]string{"WW_DATA_DIR": "/srv/ww", "WW_PUBLIC_URL": "nonsense", "WW_DATABASE_URL": "postgres://u:pw@h/db"}
	c := Register(fs, func(k string) string { return env[k] }, "WW_DATA_DIR", "WW_DATABASE_URL")
	fs.PrintDefaults()
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	// WW_PUBLIC_URL is not registered, so its bad value is not this command's concern.
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"-data-dir", "-database-url"} {
		if !strings.Contains(help.String(), name) {
			t.Errorf("help lacks %s:\n%s", name, help.String())
		}
	}
	for _, name := range []string{"-addr", "-public-url", "-pass-cert", "-apns"} {
		if strings.Contains(help.String(), name) {
			t.Errorf("help lists %s, which this command does not use:\n%s", name, help.String())
		}
	}
	if strings.Contains(help.String(), "pw@") {
		t.Errorf("help shows a secret from the environment:\n%s", help.String())
	}
	if got := strings.Join(c.Redacted(), " "); got != "WW_DATABASE_URL=postgres://u:[redacted]@h/db WW_DATA_DIR=/srv/ww" {
		t.Errorf("Redacted = %s", got)
	}
	if !c.Explicit("WW_DATA_DIR") || c.Explicit("WW_ADDR") {
		t.Error("Explicit is wrong")
	}
}

func TestExplicit(t *testing.T) {
	c, err := load(t, map[string]string{"WW_ADDR": ":9000"}, "-public-url", "https://x.example")
	if err != nil {
		t.Fatal(err)
	}
	for env, want := range map[string]bool{"WW_ADDR": true, "WW_PUBLIC_URL": true, "WW_DATA_DIR": false, "WW_LOG_LEVEL": false} {
		if c.Explicit(env) != want {
			t.Errorf("Explicit(%s) = %v, want %v", env, !want, want)
		}
	}
}
