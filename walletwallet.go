// Package walletwallet holds the domain of the pass service: accounts, keys,
// plans, passes, device registrations, push work and the Store interface that
// every storage backend implements. It imports nothing of the project, so every
// other package can depend on it.
package walletwallet

import (
	"context"
	"time"
)

// Plan is the billing plan that gates features and sets the monthly limit.
type Plan string

// Plans. PlanTrial is only ever stored: it resolves to pro or free (EffectivePlan).
const (
	PlanFree  Plan = "free"
	PlanPro   Plan = "pro"
	PlanTrial Plan = "trial"
)

// Monthly pass limits of each plan, and the length of a signup's Pro trial.
const (
	FreeMonthlyLimit = 1000
	ProMonthlyLimit  = 100000
	TrialLength      = 30 * 24 * time.Hour
)

// ParsePlan accepts the plan names an operator may type.
func ParsePlan(s string) (Plan, bool) {
	switch Plan(s) {
	case PlanFree, PlanPro, PlanTrial:
		return Plan(s), true
	}
	return "", false
}

// Account is a customer: it owns API keys, passes and a monthly counter.
type Account struct {
	ID    int64
	Email string
	// Org is the default organizationName of the account's passes ("" = none).
	Org  string
	Plan Plan
	// MonthlyLimit overrides the plan's limit when > 0.
	MonthlyLimit int64
	CreatedAt    time.Time
}

// EffectivePlan is free or pro: a trial is pro until TrialLength after creation.
func (a *Account) EffectivePlan(now time.Time) Plan {
	if a.Plan == PlanTrial {
		if now.Before(a.CreatedAt.Add(TrialLength)) {
			return PlanPro
		}
		return PlanFree
	}
	return a.Plan
}

// Limit is the number of counted requests the account may make in a month.
func (a *Account) Limit(now time.Time) int64 {
	if a.MonthlyLimit > 0 {
		return a.MonthlyLimit
	}
	if a.EffectivePlan(now) == PlanPro {
		return ProMonthlyLimit
	}
	return FreeMonthlyLimit
}

// AccountChange is a partial update of an account: nil fields keep their value.
type AccountChange struct {
	Email *string
	Org   *string
	Plan  *Plan
	// MonthlyLimit 0 returns the account to its plan's limit.
	MonthlyLimit *int64
}

// APIKey is one key of an account. Only the SHA-256 of the key is stored.
type APIKey struct {
	ID        int64
	AccountID int64
	Hash      []byte // sha256 of the full key text
	// Hint is a non-secret tail of the key (last 4 hex characters) for listings.
	Hint      string
	CreatedAt time.Time
	RevokedAt *time.Time
}

// Month returns the UTC month a time falls in, as the usage counter's key ("2026-11").
func Month(t time.Time) string { return t.UTC().Format("2006-01") }

// NextMonthStart is the first instant of the UTC month after t (the quota reset).
func NextMonthStart(t time.Time) time.Time {
	u := t.UTC()
	return time.Date(u.Year(), u.Month()+1, 1, 0, 0, 0, 0, time.UTC)
}

// Pass is an issued pass as stored.
type Pass struct {
	PassTypeID string
	Serial     string // UUIDv4
	AuthToken  string
	AccountID  int64
	// Request is the canonical request JSON (sorted keys, no whitespace).
	Request []byte
	// Hash is the lowercase hex SHA-256 of Request.
	Hash         string
	FirstIssued  time.Time
	LastModified time.Time // millisecond precision
	// Blob is the signed .pkpass of the current version; nil when it must be rebuilt.
	Blob []byte
	// ShareID names the pass in its public share link (/p/{ShareID}): random,
	// derived from neither the serial nor the token.
	ShareID string
	// Voided is set by a void; the current version's pass.json says so.
	Voided bool
	// Devices is the number of current registrations, Installs the number of
	// distinct devices that ever registered (read-only: the store keeps them).
	Devices, Installs int
	// TemplateID names the template the pass was made from ("" = none).
	// Such a pass's Request is its body as of its own last write; its
	// current body is the template's design rendered with Values.
	TemplateID string
	// TemplateRev is the template revision the current version was
	// rendered from (CreatePasses and UpdatePass check it is current).
	TemplateRev int64
	// Values is the canonical JSON object of the pass's own placeholder values.
	Values []byte
}

// Quota is the monthly check applied atomically with a counted write.
type Quota struct {
	Month string // Month(now)
	Limit int64
}

// PassUpdate is a changed PUT: the new canonical body and the rebuilt blob.
type PassUpdate struct {
	PassTypeID string
	Serial     string
	AccountID  int64 // the caller; a different owner is EFORBIDDEN
	Request    []byte
	Hash       string
	// PrevHash is the hash the caller compared against; if the stored hash
	// has moved on since, the store returns ECONFLICT and the caller retries.
	PrevHash     string
	LastModified time.Time
	Blob         []byte
	// Values and TemplateRev change a template pass's values: the update
	// is ECONFLICT unless the template is still at TemplateRev.
	Values      []byte
	TemplateRev int64
}

// UpdateResult is what a PassUpdate did.
type UpdateResult struct {
	Unchanged       bool // the stored hash already equals Hash: nothing written, nothing counted
	LastModified    time.Time
	NotifiedDevices int // registrations the enqueued push fans out to
}

// Registration ties a device's pass library to a pass and its push token.
type Registration struct {
	DeviceID   string // deviceLibraryIdentifier
	PushToken  string
	PassTypeID string
	Serial     string
}

// PushJob is one durable fan-out: push every device registered for a pass
// at the time the job is worked, paging by registration id.
type PushJob struct {
	ID         int64
	PassTypeID string
	Serial     string
	// Cursor is the highest registration id already pushed (0 = none).
	Cursor    int64
	CreatedAt time.Time
	Attempts  int
}

// PushTarget is one device token of a fan-out page.
type PushTarget struct {
	RegistrationID int64
	PushToken      string
}

// Asset is a stored image: a fetched/decoded source or a rendered slot variant,
// addressed by the SHA-256 of its source bytes plus a variant name.
type Asset struct {
	Key  string // e.g. "<sha256 hex>" for a source, "<sha256 hex>/logo@2x" for a variant
	Data []byte
}

// Store is the persistence of everything above. Every backend passes the
// conformance suite in internal/store/storetest. Methods return *Error with
// ENOTFOUND, EFORBIDDEN, EQUOTA or ECONFLICT where documented; other failures
// are plain wrapped errors (internal).
type Store interface {
	// Ping checks the database is reachable (for /healthz).
	Ping(ctx context.Context) error
	Close() error

	// CreateAccount inserts a and sets a.ID and a.CreatedAt (if zero).
	CreateAccount(ctx context.Context, a *Account) error
	// Account returns the account; ENOTFOUND when missing.
	Account(ctx context.Context, id int64) (*Account, error)
	// Accounts lists all accounts ordered by id.
	Accounts(ctx context.Context) ([]Account, error)
	// Signup creates a and its first key k in one transaction, setting
	// a.ID, k.AccountID and the IDs and creation times; ECONFLICT (nothing
	// written) when an account with the same e-mail, compared without
	// regard to ASCII case, exists.
	Signup(ctx context.Context, a *Account, k *APIKey) error
	// UpdateAccount applies c in one statement and returns the account as
	// stored; ENOTFOUND when missing.
	UpdateAccount(ctx context.Context, id int64, c AccountChange) (*Account, error)

	// CreateKey stores a key hash for the account; ENOTFOUND for an unknown account.
	CreateKey(ctx context.Context, k *APIKey) error
	// RevokeKey marks the key with this hash revoked at at and returns it as
	// stored; a key revoked before keeps its first revocation time (so a
	// RevokedAt other than at means it already was). ENOTFOUND when no such key.
	RevokeKey(ctx context.Context, hash []byte, at time.Time) (*APIKey, error)
	// Keys lists the account's keys, live and revoked, ordered by id (none
	// for an unknown account).
	Keys(ctx context.Context, accountID int64) ([]APIKey, error)
	// AccountByKey finds the account of a live (not revoked) key hash;
	// ENOTFOUND when the key is unknown or revoked.
	AccountByKey(ctx context.Context, hash []byte) (*Account, error)

	// Usage is the account's counter for a month (0 when none).
	Usage(ctx context.Context, accountID int64, month string) (int64, error)

	// CreatePass counts one request against q and inserts p in one
	// transaction; EQUOTA (nothing written) when the counter is at q.Limit.
	// A pass without a ShareID gets a fresh one (set on p).
	CreatePass(ctx context.Context, p *Pass, q Quota) error
	// CreatePasses counts len(ps) against q and inserts them all in one
	// transaction, or nothing (EQUOTA when fewer remain). With done, the
	// caller's idempotency claim is completed with the serials in the same
	// transaction; ECONFLICT (nothing written) when the claim is no longer
	// the caller's.
	CreatePasses(ctx context.Context, ps []*Pass, q Quota, done *IdempotencyDone) error
	// PassByShareID returns the pass behind a share link; ENOTFOUND when none.
	PassByShareID(ctx context.Context, shareID string) (*Pass, error)
	// ListPasses returns up to q.Limit passes of q.AccountID, newest first.
	ListPasses(ctx context.Context, q PassQuery) ([]PassSummary, error)
	// VoidPass voids a pass in one transaction: owner check (EFORBIDDEN),
	// already voided (AlreadyVoided, nothing written), stale check (stored
	// hash != PrevHash → ECONFLICT), write of voided/last-modified/blob and,
	// when devices are registered, one PushJob. Nothing is counted.
	// ENOTFOUND when missing.
	VoidPass(ctx context.Context, v *PassVoid) (*VoidResult, error)
	// ClaimIdempotency reserves c.Key for c.Token and returns nil, or returns
	// the record of the earlier request holding the key: one that is done
	// and younger than IdempotencyTTL, or one still running and younger than
	// IdempotencyClaimTimeout. Older records are replaced by the claim.
	ClaimIdempotency(ctx context.Context, c *IdempotencyClaim) (*IdempotencyRecord, error)
	// ReleaseIdempotency drops a claim that token holds and has not
	// completed (its request failed, so nothing is remembered).
	ReleaseIdempotency(ctx context.Context, accountID int64, key, token string) error
	// Pass returns a pass; ENOTFOUND when missing.
	Pass(ctx context.Context, passTypeID, serial string) (*Pass, error)
	// UpdatePass applies a changed PUT in one transaction: owner check
	// (EFORBIDDEN), unchanged check (Hash equal to the stored hash → Unchanged,
	// nothing written), stale check (stored hash != PrevHash → ECONFLICT),
	// quota (EQUOTA), write of request/hash/last-modified/blob, and, when at
	// least one device is registered, one PushJob. ENOTFOUND when missing;
	// ErrPassVoided when the pass is voided.
	UpdatePass(ctx context.Context, u *PassUpdate, q Quota) (*UpdateResult, error)
	// SetBlob stores a rebuilt blob for the version with this last-modified
	// time; a no-op when the pass has moved on.
	SetBlob(ctx context.Context, passTypeID, serial string, lastModified time.Time, blob []byte) error

	// Register adds or refreshes a registration (a new push token replaces the
	// old one); created reports whether it is new. ENOTFOUND for an unknown pass.
	Register(ctx context.Context, r *Registration) (created bool, err error)
	// Unregister deletes a registration; ENOTFOUND when there is none.
	Unregister(ctx context.Context, deviceID, passTypeID, serial string) error
	// UpdatedSerials lists serials of passTypeID registered to the device whose
	// last-modified is strictly after since (zero time = all), and the latest
	// last-modified among them. An empty list means nothing to report.
	UpdatedSerials(ctx context.Context, deviceID, passTypeID string, since time.Time) (serials []string, latest time.Time, err error)
	// DeleteRegistrationsByToken removes every registration carrying pushToken
	// (APNs said the token is dead) and returns how many went.
	DeleteRegistrationsByToken(ctx context.Context, pushToken string) (int, error)

	// ClaimPushJob leases the oldest job that is not done and whose lease is
	// free or expired, to owner until leaseUntil. Returns nil, nil when none.
	ClaimPushJob(ctx context.Context, owner string, now, leaseUntil time.Time) (*PushJob, error)
	// ExtendPushLease renews the lease; ECONFLICT when owner lost it.
	ExtendPushLease(ctx context.Context, jobID int64, owner string, leaseUntil time.Time) error
	// PushTargets returns up to limit registrations of the job's pass with id > afterID, ordered by id.
	PushTargets(ctx context.Context, passTypeID, serial string, afterID int64, limit int) ([]PushTarget, error)
	// AdvancePushJob records progress (cursor) while owner holds the lease; ECONFLICT when it does not.
	AdvancePushJob(ctx context.Context, jobID int64, owner string, cursor int64) error
	// FinishPushJob removes the finished job; ECONFLICT when owner does not hold the lease.
	FinishPushJob(ctx context.Context, jobID int64, owner string) error
	// PendingPushJobs counts jobs not yet done (the walletwallet_push_jobs_pending metric).
	PendingPushJobs(ctx context.Context) (int, error)

	// Events lists up to limit recorded events with id > afterID, oldest
	// first (the outbox the webhook delivery reads).
	Events(ctx context.Context, afterID int64, limit int) ([]Event, error)

	// CreateWebhook stores w (ID, AccountID, URL, Events, SealedSecret set
	// by the caller; CreatedAt zero means now).
	CreateWebhook(ctx context.Context, w *Webhook) error
	// Webhooks lists an account's webhooks, oldest first.
	Webhooks(ctx context.Context, accountID int64) ([]Webhook, error)
	// DeleteWebhook removes webhook id of accountID: ENOTFOUND when no
	// webhook has that id, EFORBIDDEN when another account owns it.
	DeleteWebhook(ctx context.Context, accountID int64, id string) error

	// CreateTemplate stores t (ID, AccountID, Name, Design, Defaults set by
	// the caller; Rev becomes 1, zero times mean now).
	CreateTemplate(ctx context.Context, t *Template) error
	// Template returns a template, deleted or not, without its counts;
	// ENOTFOUND when missing.
	Template(ctx context.Context, id string) (*Template, error)
	// TemplateCounts counts the template's active passes and their
	// registrations (0, 0 for an unknown template).
	TemplateCounts(ctx context.Context, id string) (passes, devices int, err error)
	// Templates lists an account's templates that are not deleted, oldest
	// first, with their counts.
	Templates(ctx context.Context, accountID int64) ([]Template, error)
	// UpdateTemplate applies c in one transaction: owner check
	// (EFORBIDDEN), deleted (ENOTFOUND), stale check (Rev != PrevRev →
	// ECONFLICT), Rehash of every active pass, quota for the changed ones
	// (EQUOTA, all or nothing), the new design and, when a pass changes,
	// one TemplatePushJob that folds the revision into the passes
	// (FoldTemplate: new versions, events) and pushes their devices.
	UpdateTemplate(ctx context.Context, c *TemplateChange, q Quota) (*TemplateUpdateResult, error)
	// DeleteTemplate marks a template deleted: ENOTFOUND when missing or
	// deleted, EFORBIDDEN for another account's, ECONFLICT while it has
	// active passes.
	DeleteTemplate(ctx context.Context, accountID int64, id string) error

	// ClaimTemplatePushJob, ExtendTemplatePushLease, AdvanceTemplatePushJob
	// and FinishTemplatePushJob lease template fan-outs as the push job
	// methods do push jobs.
	ClaimTemplatePushJob(ctx context.Context, owner string, now, leaseUntil time.Time) (*TemplatePushJob, error)
	ExtendTemplatePushLease(ctx context.Context, jobID int64, owner string, leaseUntil time.Time) error
	AdvanceTemplatePushJob(ctx context.Context, jobID int64, owner string, serial string, regID int64) error
	FinishTemplatePushJob(ctx context.Context, jobID int64, owner string) error
	// TemplatePushTargets returns up to limit registrations of the job's
	// passes (those whose version came from job.Rev or later, stamped at or
	// after job.CreatedAt) after the job's cursor and with serials up to
	// upTo ("" = no bound), ordered by (serial, registration id), taken
	// from at most limit+1 passes (the cursor's own and limit after it): a
	// short page does not mean that no target is left (passes without
	// devices count too); an empty one does.
	TemplatePushTargets(ctx context.Context, job *TemplatePushJob, upTo string, limit int) ([]TemplatePushTarget, error)
	// FoldTemplate applies f (see TemplateFold).
	FoldTemplate(ctx context.Context, f *TemplateFold) (*TemplateFoldResult, error)

	// ClaimDelivery leases the oldest pending delivery that is due (lease
	// free or expired) to owner until leaseUntil, counting the attempt.
	// Returns nil, nil when none is due.
	ClaimDelivery(ctx context.Context, owner string, now, leaseUntil time.Time) (*Delivery, error)
	// SetDeliveryLease moves owner's lease of a pending delivery to until
	// (a heartbeat, or the next attempt's time); ECONFLICT when owner
	// does not hold it.
	SetDeliveryLease(ctx context.Context, id int64, owner string, until time.Time) error
	// FinishDelivery records the final status of a delivery owner holds,
	// with the last failure's description (""); ECONFLICT when owner does
	// not hold it.
	FinishDelivery(ctx context.Context, id int64, owner string, status DeliveryStatus, lastError string) error
	// PendingDeliveries counts deliveries not yet delivered or failed.
	PendingDeliveries(ctx context.Context) (int, error)

	// Stats returns the account's counters, with those of month
	// (Month(now)); zeros for an account without any.
	Stats(ctx context.Context, accountID int64, month string) (*Stats, error)

	// Asset returns a stored image; ENOTFOUND when missing.
	Asset(ctx context.Context, key string) (*Asset, error)
	// PutAsset stores an image; storing an existing key again is a no-op.
	PutAsset(ctx context.Context, a *Asset) error
}
