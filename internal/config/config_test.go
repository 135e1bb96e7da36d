package config

import (
	"flag"
	"io"
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
		{"apns key without id", map[string]string{"WW_APNS_KEY": "a.p8"}, "WW_APNS_KEY_ID"},
		{"log level", map[string]string{"WW_LOG_LEVEL": "loud"}, "WW_LOG_LEVEL"},
		{"signup", map[string]string{"WW_SIGNUP": "yes"}, "WW_SIGNUP must be open or closed"},
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
