package events

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/egress"
	"github.com/walletwallet/walletwallet/internal/jobs"
)

// KindName is the webhook delivery's job kind.
const KindName = "webhook"

// MaxAnswer is how much of an endpoint's answer is read; the rest is
// dropped with the connection. Only the status matters.
const MaxAnswer = 64 << 10

// Queue is the part of walletwallet.Store the delivery needs.
type Queue interface {
	ClaimDelivery(ctx context.Context, owner string, now, leaseUntil time.Time) (*walletwallet.Delivery, error)
	SetDeliveryLease(ctx context.Context, id int64, owner string, until time.Time) error
	FinishDelivery(ctx context.Context, id int64, owner string, status walletwallet.DeliveryStatus, lastError string) error
}

// Secrets opens a webhook's sealed secret; the webhook's id is the
// additional data it was sealed with (*sealbox.Box is one).
type Secrets interface {
	Open(sealed, aad []byte) ([]byte, error)
}

// Results counts delivery attempts by result: "ok" (2xx), "retried" (failed,
// tried again later) and "failed" (given up). *metrics.Metrics is one.
type Results interface {
	WebhookDelivery(result string)
}

// DeliveryOptions configures the delivery kind; zero fields take the
// defaults noted.
type DeliveryOptions struct {
	Queue   Queue
	Secrets Secrets
	// Guard is the egress guard every delivery dials through.
	Guard  *egress.Guard
	Logger *slog.Logger // default slog.Default()
	// Timeout bounds one attempt, answer included (default Timeout, 10 s).
	Timeout time.Duration
	// Backoff is the wait after the failed attempt number n (default RetryAfter).
	Backoff func(attempts int) time.Duration
	// Window is how long after its event a delivery is still retried
	// (default RetryWindow, 24 h).
	Window time.Duration
	// Jobs bounds deliveries in flight (default 16).
	Jobs    int
	Results Results
	// Now is the clock of signatures and of the retry window (default time.Now).
	Now func() time.Time
}

// Delivery is the webhook delivery job kind: one POST of one event to one
// endpoint per run, finished on a 2xx, retried with backoff otherwise until
// the window has passed.
type Delivery struct {
	o      DeliveryOptions
	log    *slog.Logger
	client *http.Client
}

// NewDelivery builds the kind; Queue, Secrets and Guard are required.
func NewDelivery(o DeliveryOptions) *Delivery {
	if o.Queue == nil || o.Secrets == nil || o.Guard == nil {
		panic("events: NewDelivery needs a Queue, Secrets and a Guard")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Timeout <= 0 {
		o.Timeout = Timeout
	}
	if o.Backoff == nil {
		o.Backoff = RetryAfter
	}
	if o.Window <= 0 {
		o.Window = RetryWindow
	}
	if o.Jobs <= 0 {
		o.Jobs = 16
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	// The guard's transport (its dialer checks every address), but no
	// redirect is followed: a 3xx is an answer like any other non-2xx.
	client := &http.Client{
		Transport:     o.Guard.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Delivery{o: o, log: o.Logger.With("component", "webhooks"), client: client}
}

// Kind is the delivery as a job kind to register with a jobs.Runner.
func (k *Delivery) Kind() jobs.Kind {
	return jobs.Kind{Name: KindName, Queue: queue{k.o.Queue}, Handler: k, Concurrency: k.o.Jobs, Backoff: k.o.Backoff}
}

// queue adapts the store's delivery methods to jobs.Queue.
type queue struct{ q Queue }

func (q queue) Claim(ctx context.Context, owner string, now, until time.Time) (jobs.Job, error) {
	d, err := q.q.ClaimDelivery(ctx, owner, now, until)
	if err != nil || d == nil {
		return nil, err
	}
	return (*job)(d), nil
}

func (q queue) SetLease(ctx context.Context, id int64, owner string, until time.Time) error {
	return q.q.SetDeliveryLease(ctx, id, owner, until)
}

// job is a claimed delivery as the runner sees it.
type job walletwallet.Delivery

func (j *job) JobID() int64     { return j.ID }
func (j *job) JobAttempts() int { return j.Attempts }
func (j *job) LogAttrs() []any {
	return []any{"webhook", j.Webhook.ID, "event", j.Event.PublicID(), "type", string(j.Event.Type)}
}

// attempt is how one POST ended.
type attempt struct {
	status int   // the answer's status; 0 when there was none
	err    error // no answer: refused, unreachable, timed out…
	// final: retrying cannot help (the stored URL is not https, or names
	// a non-public address literally).
	final bool
}

func (a attempt) ok() bool { return a.err == nil && a.status >= 200 && a.status < 300 }

func (a attempt) String() string {
	if a.err != nil {
		return a.err.Error()
	}
	return fmt.Sprintf("answered %d", a.status)
}

// Work makes one attempt and closes the delivery or leaves it for a retry.
func (k *Delivery) Work(ctx context.Context, owner string, j jobs.Job) (jobs.Outcome, error) {
	d := (*walletwallet.Delivery)(j.(*job))
	a := k.post(ctx, d)
	if !a.ok() && ctx.Err() != nil {
		// Shutting down or lease lost: not the endpoint's fault, no result.
		return jobs.Stopped, nil
	}
	attrs := []any{"webhook", d.Webhook.ID, "url", d.Webhook.URL, "event", d.Event.PublicID(),
		"type", string(d.Event.Type), "attempt", d.Attempts}
	switch {
	case a.ok():
		// Counted before it is recorded, so whoever sees the delivery
		// closed also sees it counted.
		k.result("ok")
		if err := k.o.Queue.FinishDelivery(ctx, d.ID, owner, walletwallet.DeliveryDelivered, ""); err != nil {
			// Delivered but not recorded: the next claim delivers again
			// (at least once). Receivers deduplicate by event id.
			return jobs.Failed, fmt.Errorf("record delivery: %w", err)
		}
		k.log.Debug("webhook delivered", append(attrs, "status", a.status)...)
		return jobs.Finished, nil
	case a.final || k.o.Now().Sub(d.Event.CreatedAt) >= k.o.Window:
		k.result("failed")
		if err := k.o.Queue.FinishDelivery(ctx, d.ID, owner, walletwallet.DeliveryFailed, a.String()); err != nil {
			return jobs.Failed, fmt.Errorf("record failed delivery: %w", err)
		}
		k.log.Error("webhook delivery failed for good", append(attrs, "last", a.String(), "final", a.final)...)
		return jobs.Finished, nil
	default:
		k.result("retried")
		k.log.Warn("webhook delivery failed, will retry", append(attrs, "last", a.String())...)
		return jobs.Retry, errors.New(a.String())
	}
}

// post sends the event to the endpoint once.
func (k *Delivery) post(ctx context.Context, d *walletwallet.Delivery) attempt {
	u, err := url.Parse(d.Webhook.URL)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" {
		return attempt{err: fmt.Errorf("webhook URL %q is not an https URL", d.Webhook.URL), final: true}
	}
	// A non-public literal is refused before anything is dialled; names
	// are checked by the guard's dialer after resolution, at every attempt.
	if err := k.o.Guard.CheckHost(u.Hostname()); err != nil {
		return attempt{err: err, final: true}
	}
	secret, err := k.o.Secrets.Open(d.Webhook.SealedSecret, []byte(d.Webhook.ID))
	if err != nil {
		// A wrong WW_WEBHOOK_KEY on this instance: another may hold the
		// right one, and the operator can fix this one, so retry.
		return attempt{err: fmt.Errorf("open webhook secret (is WW_WEBHOOK_KEY the key it was sealed with?): %w", err)}
	}
	body, err := Body(d.Event, d.Event.TemplateID)
	if err != nil {
		return attempt{err: err, final: true}
	}
	actx, cancel := context.WithTimeout(ctx, k.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return attempt{err: err, final: true}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "WalletWallet-Webhooks/1")
	req.Header.Set(HeaderEventID, d.Event.PublicID())
	req.Header.Set(HeaderSignature, Sign(secret, k.o.Now(), body))
	res, err := k.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("no answer within %s", k.o.Timeout)
		}
		return attempt{err: err}
	}
	defer res.Body.Close()
	// The answer must arrive whole within the timeout too; what it says
	// beyond MaxAnswer is not read.
	if _, err := io.Copy(io.Discard, io.LimitReader(res.Body, MaxAnswer)); err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("answer not complete within %s", k.o.Timeout)
		}
		return attempt{status: res.StatusCode, err: err}
	}
	return attempt{status: res.StatusCode}
}

// result counts one attempt's result, if anyone counts.
func (k *Delivery) result(r string) {
	if k.o.Results != nil {
		k.o.Results.WebhookDelivery(r)
	}
}
