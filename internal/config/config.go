// Package config loads the operator's settings: each one has an environment
// variable (the contract's WW_* names), a flag of the same meaning, and a
// default that runs out of the box. Config itself is a plain struct that never
// sees flags, so the server can be built from it in tests.
package config

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Config is every setting of the binary.
type Config struct {
	Addr         string
	DataDir      string
	DatabaseURL  string
	PublicURL    string
	PassCert     string
	PassKey      string
	PassCertPass string
	WWDRCert     string
	PassTypeID   string
	TeamID       string
	APNsURL      string
	APNsCA       string
	APNsKey      string
	APNsKeyID    string
	APNsTeamID   string
	FetchAllow   []netip.Prefix
	FetchCA      string
	// WebhookKey is WW_WEBHOOK_KEY: the key sealing webhook secrets (empty:
	// a key file in DataDir, created on first start).
	WebhookKey string
	DefaultOrg string
	LogLevel   string
	// Signup is WW_SIGNUP: "open" serves self-service signup, "closed" (the default) does not.
	Signup string
	// SelfCheck is WW_SELF_CHECK: "lint" runs the built-in linter over every
	// pass before it leaves the server (a test and debugging aid); "" none.
	SelfCheck string
	// PprofAddr is WW_PPROF_ADDR: a loopback address where serve exposes
	// Go's profiler on a listener of its own; "" (the default) none.
	PprofAddr      string
	fetchAllowText string
	// MetricsAllowed is WW_METRICS_ALLOWED_NETWORKS: the TCP peers that may
	// read GET /metrics.
	MetricsAllowed   []netip.Prefix
	metricsAllowText string

	// registered holds the settings Register added (by variable name),
	// explicit those the environment or a flag gave a value, and files the
	// *_FILE paths to read in Finish.
	registered, explicit map[string]bool
	files                map[string]string
	visit                func(func(*flag.Flag)) // the FlagSet's Visit, to see which flags were given
}

// SignupOpen reports whether WW_SIGNUP is open.
func (c *Config) SignupOpen() bool { return c.Signup == "open" }

// setting declares one configuration value once: its flag, its variable,
// its default, whether it is secret (redacted in dumps; such a value may also
// come from the file that VARIABLE_FILE names, so it need not sit in the
// environment), and where it lives.
type setting struct {
	flag, env, def, usage string
	secret                bool
	dst                   func(*Config) *string
}

var settings = []setting{
	{"addr", "WW_ADDR", ":8080", "listen address", false, func(c *Config) *string { return &c.Addr }},
	{"data-dir", "WW_DATA_DIR", "./data", "folder for the SQLite database and the development identity", false, func(c *Config) *string { return &c.DataDir }},
	{"database-url", "WW_DATABASE_URL", "", "sqlite:PATH or postgres://… (default sqlite:$WW_DATA_DIR/walletwallet.db)", true, func(c *Config) *string { return &c.DatabaseURL }},
	{"public-url", "WW_PUBLIC_URL", "http://localhost:8080", "external base URL; webServiceURL of every pass is this plus /", false, func(c *Config) *string { return &c.PublicURL }},
	{"pass-cert", "WW_PASS_CERT", "", "Pass Type ID certificate: PEM, or .p12/.pfx with the key (unset: development identity)", false, func(c *Config) *string { return &c.PassCert }},
	{"pass-key", "WW_PASS_KEY", "", "PEM private key when the certificate is PEM", false, func(c *Config) *string { return &c.PassKey }},
	{"pass-cert-password", "WW_PASS_CERT_PASSWORD", "", "password of the .p12 or of an encrypted PEM key", true, func(c *Config) *string { return &c.PassCertPass }},
	{"wwdr-cert", "WW_WWDR_CERT", "", "Apple WWDR intermediate certificate, PEM or DER (required with the pass certificate)", false, func(c *Config) *string { return &c.WWDRCert }},
	{"pass-type-id", "WW_PASS_TYPE_ID", "", "override of the pass type identifier (default: the certificate's UID)", false, func(c *Config) *string { return &c.PassTypeID }},
	{"team-id", "WW_TEAM_ID", "", "override of the team identifier (default: the certificate's OU)", false, func(c *Config) *string { return &c.TeamID }},
	{"apns-url", "WW_APNS_URL", "https://api.push.apple.com", "APNs base URL", false, func(c *Config) *string { return &c.APNsURL }},
	{"apns-ca", "WW_APNS_CA", "", "extra CA bundle (PEM) trusted for APNs", false, func(c *Config) *string { return &c.APNsCA }},
	{"apns-key", "WW_APNS_KEY", "", ".p8 key file for token-based APNs auth", false, func(c *Config) *string { return &c.APNsKey }},
	{"apns-key-id", "WW_APNS_KEY_ID", "", "key id of the .p8 key", false, func(c *Config) *string { return &c.APNsKeyID }},
	{"apns-team-id", "WW_APNS_TEAM_ID", "", "team id for token auth (default: the pass's team identifier)", false, func(c *Config) *string { return &c.APNsTeamID }},
	{"fetch-allow-cidrs", "WW_FETCH_ALLOW_CIDRS", "", "comma-separated address ranges exempt from the private-address refusal for image fetches", false, func(c *Config) *string { return &c.fetchAllowText }},
	{"metrics-allowed-networks", "WW_METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128", "comma-separated address ranges whose clients may read GET /metrics; others get 404", false, func(c *Config) *string { return &c.metricsAllowText }},
	{"fetch-ca", "WW_FETCH_CA", "", "extra CA bundle (PEM) trusted for image fetches", false, func(c *Config) *string { return &c.FetchCA }},
	{"webhook-key", "WW_WEBHOOK_KEY", "", "32-byte key (64 hex digits or base64) sealing webhook secrets; set the same on every instance (default: $WW_DATA_DIR/webhook.key, created once)", true, func(c *Config) *string { return &c.WebhookKey }},
	{"default-org", "WW_DEFAULT_ORG", "WalletWallet", "organizationName when neither the request nor the account gives one", false, func(c *Config) *string { return &c.DefaultOrg }},
	{"self-check", "WW_SELF_CHECK", "", "lint: check every pass with the built-in linter before it is answered or stored (tests and debugging)", false, func(c *Config) *string { return &c.SelfCheck }},
	{"pprof-addr", "WW_PPROF_ADDR", "", "loopback address (127.0.0.1:6060) where serve exposes Go's profiler, /debug/pprof/, on a listener of its own (unset: off)", false, func(c *Config) *string { return &c.PprofAddr }},
	{"signup", "WW_SIGNUP", "closed", "open serves the signup page and POST /api/signup; closed answers both 404", false, func(c *Config) *string { return &c.Signup }},
	{"log-level", "WW_LOG_LEVEL", "info", "debug, info, warn or error", false, func(c *Config) *string { return &c.LogLevel }},
}

// Register adds the settings named by their variables (every setting when
// none are named) as flags to fs, with defaults taken from the environment
// (getenv) when set there. Settings not registered stay empty and are not
// checked. Call Finish after fs.Parse.
func Register(fs *flag.FlagSet, getenv func(string) string, vars ...string) *Config {
	c := &Config{registered: map[string]bool{}, explicit: map[string]bool{}, files: map[string]string{}}
	want := map[string]bool{}
	for _, v := range vars {
		want[v] = true
	}
	for _, s := range settings {
		if len(vars) > 0 && !want[s.env] {
			continue
		}
		delete(want, s.env)
		c.registered[s.env] = true
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
			c.explicit[s.env] = true
		}
		src := s.env
		if s.secret {
			if path := getenv(s.env + "_FILE"); path != "" {
				c.files[s.env] = path
			}
			src += ", or the file " + s.env + "_FILE names"
		}
		fs.StringVar(s.dst(c), s.flag, def, fmt.Sprintf("%s [%s]", s.usage, src))
		// A secret's value from the environment is never shown as a default.
		if s.secret {
			fs.Lookup(s.flag).DefValue = ""
		}
	}
	c.visit = fs.Visit
	for v := range want {
		panic("config.Register: unknown setting " + v)
	}
	return c
}

// Explicit reports, after Finish, whether the environment, a *_FILE variable
// or a flag gave the setting (named by its variable) a value, as opposed to
// its default.
func (c *Config) Explicit(env string) bool { return c.explicit[env] || c.files[env] != "" }

// readFiles fills secrets from their *_FILE variables. The flag wins over
// both variables; giving both variables is ambiguous and refused.
func (c *Config) readFiles() error {
	given := map[string]bool{}
	if c.visit != nil {
		c.visit(func(f *flag.Flag) { given[f.Name] = true })
	}
	for _, s := range settings {
		if given[s.flag] {
			c.explicit[s.env] = true
			delete(c.files, s.env)
		}
	}
	for _, s := range settings {
		path, ok := c.files[s.env]
		if !ok {
			continue
		}
		if c.explicit[s.env] {
			return fmt.Errorf("%s and %s_FILE are both set: use one", s.env, s.env)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("%s_FILE: %w", s.env, err)
		}
		// Editors and `echo` end the file with a newline that is not part of the secret.
		*s.dst(c) = strings.TrimRight(string(b), "\r\n")
	}
	return nil
}

// Finish derives dependent defaults and checks values after flags are parsed.
func (c *Config) Finish() error {
	if err := c.readFiles(); err != nil {
		return err
	}
	if c.registered["WW_DATABASE_URL"] && c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite:" + filepath.Join(c.DataDir, "walletwallet.db")
	}
	if c.registered["WW_PUBLIC_URL"] {
		c.PublicURL = strings.TrimRight(c.PublicURL, "/")
		if !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
			return fmt.Errorf("WW_PUBLIC_URL must start with https:// (or http:// for local testing), got %q", c.PublicURL)
		}
	}
	if c.PassCert != "" && c.WWDRCert == "" {
		return fmt.Errorf("WW_WWDR_CERT is required with WW_PASS_CERT: download Apple's WWDR intermediate (G4) certificate")
	}
	if c.PassCert == "" && c.PassKey != "" {
		return fmt.Errorf("WW_PASS_KEY is set but WW_PASS_CERT is not")
	}
	if (c.APNsKey != "") != (c.APNsKeyID != "") {
		return fmt.Errorf("WW_APNS_KEY and WW_APNS_KEY_ID go together (token-based APNs auth)")
	}
	var err error
	if c.FetchAllow, err = parsePrefixes("WW_FETCH_ALLOW_CIDRS", c.fetchAllowText); err != nil {
		return err
	}
	if c.MetricsAllowed, err = parsePrefixes("WW_METRICS_ALLOWED_NETWORKS", c.metricsAllowText); err != nil {
		return err
	}
	if c.registered["WW_SELF_CHECK"] && c.SelfCheck != "" && c.SelfCheck != "lint" {
		return fmt.Errorf("WW_SELF_CHECK must be lint or empty, got %q", c.SelfCheck)
	}
	if c.registered["WW_PPROF_ADDR"] && c.PprofAddr != "" {
		if err := loopbackAddr(c.PprofAddr); err != nil {
			return fmt.Errorf("WW_PPROF_ADDR %w", err)
		}
	}
	if c.registered["WW_SIGNUP"] && c.Signup != "open" && c.Signup != "closed" {
		return fmt.Errorf("WW_SIGNUP must be open or closed, got %q", c.Signup)
	}
	if c.registered["WW_LOG_LEVEL"] {
		switch strings.ToLower(c.LogLevel) {
		case "debug", "info", "warn", "error":
		default:
			return fmt.Errorf("WW_LOG_LEVEL must be debug, info, warn or error, got %q", c.LogLevel)
		}
	}
	return nil
}

// Level is the slog level of LogLevel.
func (c *Config) Level() slog.Level {
	var l slog.Level
	l.UnmarshalText([]byte(c.LogLevel))
	return l
}

// Redacted lists the registered settings as VAR=value lines with secrets
// hidden, for start-up logs and support requests.
func (c *Config) Redacted() []string {
	var out []string
	for _, s := range settings {
		if !c.registered[s.env] {
			continue
		}
		v := *s.dst(c)
		if s.env == "WW_DATABASE_URL" {
			v = redactURL(v)
		} else if s.secret && v != "" {
			v = "[redacted]"
		}
		out = append(out, s.env+"="+v)
	}
	sort.Strings(out)
	return out
}

// redactURL hides the password of a database URL.
func redactURL(u string) string {
	at := strings.LastIndex(u, "@")
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return u
	}
	userinfo := u[scheme+3 : at]
	if i := strings.Index(userinfo, ":"); i >= 0 {
		return u[:scheme+3] + userinfo[:i] + ":[redacted]" + u[at:]
	}
	return u
}

// parsePrefixes reads a comma-separated list of address ranges (a bare
// address is a range of one) for the variable name.
func parsePrefixes(name, text string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(text, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				return nil, fmt.Errorf("%s: %q is not an address range like 10.1.0.0/16", name, part)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// loopbackAddr accepts host:port where host is a loopback IP address: the
// profiler shows the server's internals and can slow it, so it is never
// reachable from another machine.
func loopbackAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("must be host:port on a loopback address (127.0.0.1:6060), got %q", addr)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return fmt.Errorf("must be on a loopback address (127.0.0.1 or ::1), got host %q", host)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("must have a port number, got %q", port)
	}
	return nil
}
