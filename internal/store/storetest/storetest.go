// Package storetest is the conformance suite every walletwallet.Store backend
// passes: each backend's test supplies a function that opens a fresh, empty
// store and calls Run.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

// PassTypeID is the pass type every pass of the suite uses.
const PassTypeID = "pass.dev.walletwallet.test"

// t0 is the suite's clock: a fixed instant with a millisecond fraction, so
// precision loss shows.
var t0 = time.Date(2026, 11, 5, 10, 0, 0, 123_000_000, time.UTC)

// Run runs every conformance case, each against a store from open. open must
// return a fresh empty store and arrange its cleanup (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) walletwallet.Store) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, open(t))
		})
	}
}

type testCase struct {
	name string
	fn   func(t *testing.T, s walletwallet.Store)
}

// cases is filled by the files of this package, one group per concern.
var cases []testCase

func register(group string, cs ...testCase) {
	for _, c := range cs {
		c.name = group + "/" + c.name
		cases = append(cases, c)
	}
}

// wantCode fails unless err carries the client error code want ("" = nil error).
func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := walletwallet.ErrorCode(err); got != want {
		t.Fatalf("error code = %q (err %v), want %q", got, err, want)
	}
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// NewSerial returns a random UUIDv4, the shape of real serials.
func NewSerial() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%x", sum)
}

func keyHash(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// bigQuota never stops a write of the suite's month.
var bigQuota = walletwallet.Quota{Month: walletwallet.Month(t0), Limit: 1 << 40}

func newAccount(t testing.TB, s walletwallet.Store, limit int64) *walletwallet.Account {
	t.Helper()
	a := &walletwallet.Account{Email: NewSerial() + "@example.com", Plan: walletwallet.PlanPro, MonthlyLimit: limit, CreatedAt: t0}
	if err := s.CreateAccount(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

func passFor(a *walletwallet.Account, body string) *walletwallet.Pass {
	req := []byte(body)
	return &walletwallet.Pass{
		PassTypeID:   PassTypeID,
		Serial:       NewSerial(),
		AuthToken:    NewSerial(),
		AccountID:    a.ID,
		Request:      req,
		Hash:         hashOf(req),
		FirstIssued:  t0,
		LastModified: t0,
		Blob:         []byte("blob of " + body),
	}
}

func newPass(t testing.TB, s walletwallet.Store, a *walletwallet.Account) *walletwallet.Pass {
	t.Helper()
	p := passFor(a, `{"v":0}`)
	if err := s.CreatePass(context.Background(), p, bigQuota); err != nil {
		t.Fatal(err)
	}
	return p
}

// changeOf builds the update of p to body, as of at.
func changeOf(p *walletwallet.Pass, body string, at time.Time) *walletwallet.PassUpdate {
	req := []byte(body)
	return &walletwallet.PassUpdate{
		PassTypeID:   p.PassTypeID,
		Serial:       p.Serial,
		AccountID:    p.AccountID,
		Request:      req,
		Hash:         hashOf(req),
		PrevHash:     p.Hash,
		LastModified: at,
		Blob:         []byte("blob of " + body),
	}
}

func registerDevice(t testing.TB, s walletwallet.Store, p *walletwallet.Pass, device, token string) {
	t.Helper()
	if _, err := s.Register(context.Background(), &walletwallet.Registration{
		DeviceID: device, PushToken: token, PassTypeID: p.PassTypeID, Serial: p.Serial}); err != nil {
		t.Fatal(err)
	}
}

// countOf is the pass's registration count as the store keeps it (Pass.Devices).
func countOf(t testing.TB, s walletwallet.Store, p *walletwallet.Pass) int {
	t.Helper()
	got, err := s.Pass(context.Background(), p.PassTypeID, p.Serial)
	if err != nil {
		t.Fatal(err)
	}
	return got.Devices
}

func wantTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func wantBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}
