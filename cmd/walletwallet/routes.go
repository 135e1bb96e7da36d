package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/api"
	"github.com/walletwallet/walletwallet/internal/config"
	"github.com/walletwallet/walletwallet/internal/dashboard"
	"github.com/walletwallet/walletwallet/internal/issuer"
	"github.com/walletwallet/walletwallet/internal/jsonhttp"
	"github.com/walletwallet/walletwallet/internal/mcpserver"
	"github.com/walletwallet/walletwallet/internal/metrics"
	"github.com/walletwallet/walletwallet/internal/openapi"
	"github.com/walletwallet/walletwallet/internal/passblob"
	"github.com/walletwallet/walletwallet/internal/passes"
	"github.com/walletwallet/walletwallet/internal/share"
	"github.com/walletwallet/walletwallet/internal/webservice"
)

// mountDeps is what the routes are served with.
type mountDeps struct {
	cfg        *config.Config
	log        *slog.Logger
	st         walletwallet.Store
	is         *issuer.Issuer
	passTypeID string
	blobs      *passblob.Source
	svc        *passes.Service
	secrets    api.Sealer
	hooks      api.HostChecker
	metrics    *metrics.Metrics
}

// shareStore gives the share page passes with their current body (a
// template pass's is rendered from its template).
func shareStore(d mountDeps) share.Store {
	if d.svc == nil || d.svc.Renderer == nil {
		return d.st
	}
	return d.svc.Renderer.ShareStore(d.st)
}

// webserviceStore gives devices template passes folded to their template's
// current revision (see passes.Renderer.Fresh), so a device that fetches a
// pass before the template job reaches it gets the new version.
func webserviceStore(d mountDeps) webservice.Store {
	if d.svc == nil || d.svc.Renderer == nil {
		return d.st
	}
	return freshPasses{d.st, d.svc.Renderer}
}

type freshPasses struct {
	webservice.Store
	r *passes.Renderer
}

func (s freshPasses) Pass(ctx context.Context, passTypeID, serial string) (*walletwallet.Pass, error) {
	return s.r.FreshPass(ctx, s.Store, passTypeID, serial)
}

// mount registers every route the server answers. It is the one list of
// them: the OpenAPI test mounts it too and compares the router's routes
// with the document's (cmd/walletwallet/openapi_test.go).
func mount(rt *jsonhttp.Router, d mountDeps) {
	cfg, log, st := d.cfg, d.log, d.st
	api.Register(rt, api.Options{Store: st, Builder: d.is, Blobs: d.blobs, PassTypeID: d.passTypeID, PublicURL: cfg.PublicURL, Logger: log, Signup: cfg.SignupOpen(), Passes: d.svc,
		Secrets: d.secrets, WebhookHosts: d.hooks})
	// The MCP face: the same service, the same keys.
	mcpserver.Register(rt, mcpserver.Options{Keys: st, Passes: d.svc, Logger: log, Version: releaseVersion()})
	share.Register(rt, share.Options{Store: shareStore(d), Blobs: d.blobs, Accounts: st, PublicURL: cfg.PublicURL, DefaultOrg: cfg.DefaultOrg, Logger: log})
	webservice.Register(rt, webservice.Options{Store: webserviceStore(d), Blobs: d.blobs, Logger: log})
	dashboard.Register(rt, dashboard.Options{Signup: cfg.SignupOpen()})
	rt.Handle(http.MethodGet, "/metrics", d.metrics.Handler(cfg.MetricsAllowed))
	rt.Handle(http.MethodGet, "/openapi.json", openapi.Handler())
	rt.Handle(http.MethodGet, "/healthz", jsonhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		pctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := st.Ping(pctx); err != nil {
			log.Error("health check: database unreachable", "err", err)
			return walletwallet.Errorf(walletwallet.EUNAVAILABLE, "database unreachable")
		}
		jsonhttp.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return nil
	}))
}
