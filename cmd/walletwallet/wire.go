package main

import (
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/walletwallet/walletwallet/internal/config"
	"github.com/walletwallet/walletwallet/internal/egress"
	"github.com/walletwallet/walletwallet/internal/images"
	"github.com/walletwallet/walletwallet/internal/issuer"
	"github.com/walletwallet/walletwallet/internal/lint"
	"github.com/walletwallet/walletwallet/internal/sealbox"
	"github.com/walletwallet/walletwallet/internal/signing"
)

// loadIdentity returns the operator's signing identity, or the development
// identity (created once in the data folder) when none is configured.
func loadIdentity(cfg *config.Config, log *slog.Logger) (*signing.Identity, error) {
	if cfg.PassCert == "" {
		dir := filepath.Join(cfg.DataDir, "dev-identity")
		id, created, err := signing.DevIdentity(dir)
		if err != nil {
			return nil, fmt.Errorf("development identity in %s: %w", dir, err)
		}
		if created {
			log.Info("created development signing identity", "dir", dir)
		}
		log.Warn("signing with the DEVELOPMENT identity: passes verify against " + filepath.Join(dir, "ca.pem") +
			" but no iPhone installs them; set WW_PASS_CERT and WW_WWDR_CERT to your Pass Type ID certificate for real passes")
		if cfg.PassTypeID != "" {
			id.PassTypeID = cfg.PassTypeID
		}
		if cfg.TeamID != "" {
			id.TeamID = cfg.TeamID
		}
		return id, nil
	}
	return signing.Load(signing.Options{
		CertPath:   cfg.PassCert,
		KeyPath:    cfg.PassKey,
		Password:   cfg.PassCertPass,
		WWDRPath:   cfg.WWDRCert,
		PassTypeID: cfg.PassTypeID,
		TeamID:     cfg.TeamID,
	})
}

// warnPlainWebService warns when passes would carry a webServiceURL that is
// not https: iOS only talks to an https web service, so such a pass never
// updates.
func warnPlainWebService(log *slog.Logger, cfg *config.Config) {
	if !strings.HasPrefix(cfg.PublicURL, "https://") {
		log.Warn("WW_PUBLIC_URL is not https: iOS only talks to an https web service, so passes with webServiceURL "+
			cfg.PublicURL+"/ will not update on devices", "public_url", cfg.PublicURL)
	}
}

// certPool is the system roots plus an operator's extra PEM bundle.
func certPool(extraPEM string) (*x509.CertPool, error) {
	if extraPEM == "" {
		return nil, nil // nil means the system roots
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	b, err := os.ReadFile(extraPEM)
	if err != nil {
		return nil, err
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate", extraPEM)
	}
	return pool, nil
}

// newRenderer builds the image pipeline with the SSRF-guarded fetcher.
func newRenderer(cfg *config.Config, st images.AssetStore) (*images.Renderer, error) {
	roots, err := certPool(cfg.FetchCA)
	if err != nil {
		return nil, fmt.Errorf("WW_FETCH_CA: %w", err)
	}
	f := images.NewFetcher(images.FetchOptions{AllowCIDRs: cfg.FetchAllow, RootCAs: roots})
	return images.NewRenderer(images.Options{Fetcher: f, Store: st}), nil
}

// newIssuer ties the identity and the renderer into an Issuer.
func newIssuer(cfg *config.Config, id *signing.Identity, r issuer.ImageSource, accounts issuer.AccountSource) *issuer.Issuer {
	return &issuer.Issuer{
		Signer:        id,
		PassTypeID:    id.PassTypeID,
		TeamID:        id.TeamID,
		Images:        r,
		WebServiceURL: cfg.PublicURL + "/",
		DefaultOrg:    cfg.DefaultOrg,
		Accounts:      accounts,
		SelfCheck:     selfCheck(cfg),
	}
}

// selfCheck is the issuer's self-check for WW_SELF_CHECK (nil when off).
func selfCheck(cfg *config.Config) func([]byte) error {
	if cfg.SelfCheck != "lint" {
		return nil
	}
	return lint.SelfCheck(lint.Options{})
}

// webhookSecrets is the box sealing webhook secrets: WW_WEBHOOK_KEY, or the
// key file in the data folder (created 0600 on first start).
func webhookSecrets(cfg *config.Config, log *slog.Logger) (*sealbox.Box, error) {
	if cfg.WebhookKey != "" {
		k, err := sealbox.ParseKey(cfg.WebhookKey)
		if err != nil {
			return nil, fmt.Errorf("WW_WEBHOOK_KEY: %w", err)
		}
		return sealbox.New(k)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(cfg.DataDir, "webhook.key")
	k, created, err := sealbox.LoadOrCreate(path)
	if err != nil {
		return nil, fmt.Errorf("webhook key %s: %w", path, err)
	}
	if created {
		log.Info("created the key sealing webhook secrets; back it up with the database, and give every instance the same key (WW_WEBHOOK_KEY)", "path", path)
	}
	return sealbox.New(k)
}

// webhookGuard is the egress guard for webhook endpoints: the image
// fetches' exemptions and extra CA apply to them too.
func webhookGuard(cfg *config.Config) (*egress.Guard, error) {
	roots, err := certPool(cfg.FetchCA)
	if err != nil {
		return nil, fmt.Errorf("WW_FETCH_CA: %w", err)
	}
	return egress.New(egress.Options{AllowCIDRs: cfg.FetchAllow, RootCAs: roots}), nil
}
