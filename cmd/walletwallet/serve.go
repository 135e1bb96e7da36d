package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"strings"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/api"
	"github.com/walletwallet/walletwallet/internal/config"
	"github.com/walletwallet/walletwallet/internal/events"
	"github.com/walletwallet/walletwallet/internal/jobs"
	"github.com/walletwallet/walletwallet/internal/jsonhttp"
	"github.com/walletwallet/walletwallet/internal/metrics"
	"github.com/walletwallet/walletwallet/internal/passblob"
	"github.com/walletwallet/walletwallet/internal/passes"
	"github.com/walletwallet/walletwallet/internal/push"
	"github.com/walletwallet/walletwallet/internal/signing"
	"github.com/walletwallet/walletwallet/internal/store"
)

func cmdServe(ctx context.Context, args []string, e env) error {
	c := newCommand(e, "serve", "serve", "Runs the HTTP server: the API, the PassKit web service, the push worker and\nwebhook deliveries.\nCreates the database or applies its pending migrations first. Stop it with\nCtrl-C or SIGTERM: it finishes the requests in flight (up to 30 s) and exits.", everySetting)
	rest, err := c.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return c.usagef("unexpected argument %q", rest[0])
	}
	cfg := c.cfg
	log := slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: cfg.Level()}))
	slog.SetDefault(log)
	spareProcessor(e.getenv, log)
	return serve(ctx, cfg, log)
}

func serve(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	log.Info("configuration", "settings", strings.Join(cfg.Redacted(), " "))
	warnPlainWebService(log, cfg)
	if cfg.Explicit("WW_ADDR") && !cfg.Explicit("WW_PUBLIC_URL") {
		log.Warn("WW_ADDR is set but WW_PUBLIC_URL is left at its default: every pass will point devices at "+cfg.PublicURL+
			"/; set WW_PUBLIC_URL to the https address devices reach this server at", "addr", cfg.Addr, "public_url", cfg.PublicURL)
	}
	if strings.HasPrefix(cfg.DatabaseURL, "sqlite:") {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return err
		}
	}
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer st.Close()

	id, err := loadIdentity(cfg, log)
	if err != nil {
		return err
	}
	log.Info("signing identity", "pass_type_id", id.PassTypeID, "team_id", id.TeamID, "not_after", id.Cert.NotAfter)
	renderer, err := newRenderer(cfg, st)
	if err != nil {
		return err
	}
	// One registry for the process; every part records into it.
	m := metrics.New(st)
	is := newIssuer(cfg, id, renderer, st)
	is.SignTimes = m

	runner, err := newJobs(ctx, cfg, id, st, log, m)
	if err != nil {
		return err
	}

	rt := jsonhttp.NewRouter()
	// One source of current blobs, so a pass whose blob is missing is signed
	// once however many callers (API, share links, web service) ask for it together.
	// A template pass is signed from its template's current design with its
	// values: lazily, after a template change, through the same source.
	passBodies := passes.NewRenderer(st)
	blobs := passblob.New(st, passBodies.Rebuilder(is), log)
	// One service performs the pass operations for every face (API, share links).
	svc := passes.New(passes.Options{
		Store: st, Builder: is, Blobs: blobs, PassTypeID: id.PassTypeID, PublicURL: cfg.PublicURL,
		Counts: m, Templates: st, Renderer: passBodies,
	})
	secrets, err := webhookSecrets(cfg, log)
	if err != nil {
		return err
	}
	hooks, err := webhookGuard(cfg)
	if err != nil {
		return err
	}
	// Webhook deliveries are a second kind of durable job on the same runner.
	runner.Register(events.NewDelivery(events.DeliveryOptions{Queue: st, Secrets: secrets, Guard: hooks, Logger: log, Results: m}).Kind())
	mount(rt, mountDeps{cfg: cfg, log: log, st: st, is: is, passTypeID: id.PassTypeID, blobs: blobs, svc: svc, secrets: secrets, hooks: hooks, metrics: m})

	srv := &http.Server{
		Handler:           jsonhttp.ObservedMiddleware(log, m, api.CORS(rt)),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	if cfg.PprofAddr != "" {
		stop, err := startProfiler(cfg.PprofAddr, log)
		if err != nil {
			ln.Close()
			return fmt.Errorf("WW_PPROF_ADDR: %w", err)
		}
		defer stop()
	}
	log.Info("listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL)

	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		if err := runner.Run(workerCtx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("job runner stopped", "err", err)
		}
	}()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		stopWorker()
		<-workerDone
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		log.Warn("shutdown", "err", err)
	}
	// Push work not finished now stays leased and is taken over (by this
	// process on restart or by another instance) when the lease expires.
	stopWorker()
	<-workerDone
	log.Info("stopped")
	return nil
}

// newJobs builds the APNs client and the runner of durable jobs with the
// push fan-out registered.
func newJobs(ctx context.Context, cfg *config.Config, id *signing.Identity, st walletwallet.Store, log *slog.Logger, m *metrics.Metrics) (*jobs.Runner, error) {
	roots, err := certPool(cfg.APNsCA)
	if err != nil {
		return nil, fmt.Errorf("WW_APNS_CA: %w", err)
	}
	// Two connections measured best for big fan-outs (BENCHMARKS.md).
	co := push.ClientOptions{BaseURL: cfg.APNsURL, RootCAs: roots, Connections: 2}
	if cfg.APNsKey != "" {
		pemBytes, err := os.ReadFile(cfg.APNsKey)
		if err != nil {
			return nil, fmt.Errorf("WW_APNS_KEY: %w", err)
		}
		key, err := push.ParseP8(pemBytes)
		if err != nil {
			return nil, fmt.Errorf("WW_APNS_KEY: %w", err)
		}
		team := cfg.APNsTeamID
		if team == "" {
			team = id.TeamID
		}
		co.Token = &push.TokenAuth{Key: key, KeyID: cfg.APNsKeyID, TeamID: team}
	} else {
		cert := id.TLSCertificate()
		co.Certificate = &cert
		if cfg.PassCert == "" && isAppleAPNs(cfg.APNsURL) {
			// Said once here rather than discovered from a retry loop:
			// every push will fail its TLS handshake.
			log.Warn("push: the DEVELOPMENT identity is not an Apple certificate, so APNs at "+cfg.APNsURL+
				" will refuse every push; set WW_PASS_CERT (or WW_APNS_KEY) for pushes to reach devices",
				"apns_url", cfg.APNsURL)
		}
	}
	client, err := push.NewClient(co)
	if err != nil {
		return nil, err
	}
	// The one wake-up path: the store signals every committed enqueue (in
	// process on SQLite; LISTEN/NOTIFY on PostgreSQL, which reaches this
	// instance too), so no handler has to kick the runner itself.
	var wake <-chan struct{}
	if n, ok := st.(store.Notifier); ok {
		wake = n.PushJobNotifications(ctx)
	}
	runner := jobs.New(jobs.Options{Logger: log, Wake: wake})
	fanout := push.NewFanout(push.FanoutOptions{Queue: st, Pusher: client, Logger: log, Results: m})
	runner.Register(fanout.Kind())
	// The template fan-out folds each revision into the passes before it
	// pushes their devices.
	runner.Register(fanout.TemplateKind(st, passes.NewRenderer(st)))
	return runner, nil
}

// isAppleAPNs reports whether url is Apple's APNs (production or sandbox).
func isAppleAPNs(url string) bool {
	u, err := neturl.Parse(url)
	return err == nil && (u.Hostname() == "push.apple.com" || strings.HasSuffix(u.Hostname(), ".push.apple.com"))
}
