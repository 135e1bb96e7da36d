// Package issuer turns a validated request into a signed .pkpass: it resolves
// the request's images into their slots, writes pass.json, and signs the
// bundle. It is the one place where the pass engine, the image renderer and
// the signing identity meet, so the API, the web service (rebuilding a
// missing blob) and the offline `pass build` command all issue passes the same way.
package issuer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/images"
	"github.com/walletwallet/walletwallet/internal/pkpass"
)

// Signer signs a manifest and names the pass type and team it signs for.
type Signer interface {
	Sign(manifest []byte) ([]byte, error)
}

// ImageSource renders a request's image URL into a slot's @1x/@2x/@3x files.
type ImageSource interface {
	Slot(ctx context.Context, field, url, slot string) ([]images.Variant, error)
}

// AccountSource finds the account of a stored pass (for its default organizationName).
type AccountSource interface {
	Account(ctx context.Context, id int64) (*walletwallet.Account, error)
}

// Issuer issues passes for one signing identity.
type Issuer struct {
	Signer     Signer
	PassTypeID string
	TeamID     string
	Images     ImageSource
	// WebServiceURL is WW_PUBLIC_URL plus "/".
	WebServiceURL string
	// DefaultOrg is WW_DEFAULT_ORG.
	DefaultOrg string
	// Accounts is needed only by Rebuild.
	Accounts AccountSource
	// SignTimes, if set, is told how long each Build took (internal/metrics).
	SignTimes SignObserver
	// SelfCheck, if set, sees every signed pass before it is returned and
	// fails the build with its error. WW_SELF_CHECK=lint and the test
	// harnesses set it to the project's linter, so that every pass made in
	// any test is linted without each test remembering to.
	SelfCheck func(blob []byte) error
}

// SignObserver records the duration of one pass build and signature.
type SignObserver interface {
	ObserveSign(d time.Duration)
}

// Meta is what the server owns about a pass, as opposed to what the request says.
type Meta struct {
	Serial      string
	AuthToken   string
	FirstIssued time.Time
	// AccountOrg is the account's default organizationName ("" = none).
	AccountOrg string
	// Voided builds the withdrawn version ("voided": true in pass.json).
	Voided bool
}

// Build signs the pass described by req and m.
func (is *Issuer) Build(ctx context.Context, req *pkpass.Request, m Meta) (_ []byte, err error) {
	defer walletwallet.Wrap(&err, "issuer.Build(%s)", m.Serial)
	if is.SignTimes != nil {
		start := time.Now()
		defer func() {
			if err == nil {
				is.SignTimes.ObserveSign(time.Since(start))
			}
		}()
	}
	files, err := is.Contents(ctx, req, m)
	if err != nil {
		return nil, err
	}
	blob, err := pkpass.Bundle(files, is.Signer.Sign)
	if err == nil && is.SelfCheck != nil {
		if err = is.SelfCheck(blob); err != nil {
			return nil, fmt.Errorf("self-check: %w", err)
		}
	}
	return blob, err
}

// Contents is what goes into the pass's bundle before signing: pass.json,
// the images in their slots (the built-in icon when the request has none)
// and the localizations' pass.strings. The preview draws from exactly
// these files.
func (is *Issuer) Contents(ctx context.Context, req *pkpass.Request, m Meta) ([]pkpass.File, error) {
	org := m.AccountOrg
	if org == "" {
		org = is.DefaultOrg
	}
	passJSON, err := req.PassJSON(pkpass.PassInfo{
		PassTypeID:    is.PassTypeID,
		TeamID:        is.TeamID,
		Serial:        m.Serial,
		AuthToken:     m.AuthToken,
		WebServiceURL: is.WebServiceURL,
		DefaultOrg:    org,
		FirstIssued:   m.FirstIssued,
		Voided:        m.Voided,
	})
	if err != nil {
		return nil, err
	}
	refs := req.Images()
	// pass.json, three variants per slot (and the default icon's), the strings.
	files := make([]pkpass.File, 0, 1+3*(len(refs)+1)+len(req.Localizations))
	files = append(files, pkpass.File{Name: "pass.json", Data: passJSON})
	haveIcon := false
	for _, ref := range refs {
		vs, err := is.Images.Slot(ctx, ref.Field, ref.URL, imageSlot(ref.Slot, req.Style()))
		if err != nil {
			return nil, err
		}
		if ref.Slot == "icon" {
			haveIcon = true
		}
		files = appendVariants(files, vs)
	}
	if !haveIcon {
		// Wallet refuses a pass without an icon.
		files = appendVariants(files, images.DefaultIcon())
	}
	files = append(files, req.LocalizationFiles()...)
	return files, nil
}

// imageSlot is the renderer's slot for a request slot on a style: the
// strip of an event ticket is shorter than the others (375×98 pt).
func imageSlot(slot, style string) string {
	if slot == images.SlotStrip && style == "eventTicket" {
		return images.SlotStripEvent
	}
	return slot
}

func appendVariants(files []pkpass.File, vs []images.Variant) []pkpass.File {
	for _, v := range vs {
		files = append(files, pkpass.File{Name: v.Name, Data: v.Data, Sums: &pkpass.Sums{SHA1: v.SHA1, CRC32: v.CRC32}})
	}
	return files
}

// Rebuild signs a stored pass again from its canonical request, for a device
// that asks for a pass whose blob is missing.
func (is *Issuer) Rebuild(ctx context.Context, p *walletwallet.Pass) (_ []byte, err error) {
	defer walletwallet.Wrap(&err, "issuer.Rebuild(%s)", p.Serial)
	req, err := pkpass.Parse(p.Request)
	if err != nil {
		return nil, fmt.Errorf("stored request no longer parses: %w", err)
	}
	var org string
	if is.Accounts != nil {
		a, err := is.Accounts.Account(ctx, p.AccountID)
		if err != nil {
			return nil, err
		}
		org = a.Org
	}
	return is.Build(ctx, req, Meta{Serial: p.Serial, AuthToken: p.AuthToken, FirstIssued: p.FirstIssued, AccountOrg: org, Voided: p.Voided})
}

// NewSerial returns a random UUIDv4 (RFC 9562) string.
func NewSerial() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// NewAuthToken returns the secret a device presents for one pass: 40 hex
// characters (160 random bits), above Apple's 16-character minimum and the
// contract's 32.
func NewAuthToken() string {
	var b [20]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
