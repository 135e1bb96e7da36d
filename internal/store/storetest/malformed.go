package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

// malformedKeys are strings a client can put in a path that no row can be
// named by: PostgreSQL refuses NUL bytes and invalid UTF-8 in text outright,
// so a backend that passes them to the driver answers with an internal error
// where the client should hear "not found".
var malformedKeys = []struct{ name, s string }{
	{"NUL", "\x00"},
	{"trailing NUL", NewSerial() + "\x00"},
	{"invalid UTF-8", "\xff\xfe"},
	{"overlong dot-dot", "\xc0\xae\xc0\xae"},
	{"lone surrogate", "\xed\xa0\x80"},
}

func init() {
	register("malformed keys",
		testCase{"lookups find nothing", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			p := newPass(t, s, a)
			registerDevice(t, s, p, "dev1", "tok1")
			for _, k := range malformedKeys {
				t.Run(k.name, func(t *testing.T) {
					_, err := s.Pass(ctx, PassTypeID, k.s)
					wantCode(t, err, walletwallet.ENOTFOUND)
					_, err = s.Pass(ctx, k.s, p.Serial)
					wantCode(t, err, walletwallet.ENOTFOUND)

					u := changeOf(p, `{"v":9}`, t0.Add(time.Minute))
					u.Serial = k.s
					_, err = s.UpdatePass(ctx, u, bigQuota)
					wantCode(t, err, walletwallet.ENOTFOUND)

					mustNil(t, s.SetBlob(ctx, PassTypeID, k.s, t0, []byte("x")))

					for _, r := range []walletwallet.Registration{
						{DeviceID: "dev1", PushToken: "tok1", PassTypeID: PassTypeID, Serial: k.s},
						{DeviceID: "dev1", PushToken: "tok1", PassTypeID: k.s, Serial: p.Serial},
					} {
						_, err = s.Register(ctx, &r)
						wantCode(t, err, walletwallet.ENOTFOUND)
					}
					wantCode(t, s.Unregister(ctx, k.s, PassTypeID, p.Serial), walletwallet.ENOTFOUND)
					wantCode(t, s.Unregister(ctx, "dev1", PassTypeID, k.s), walletwallet.ENOTFOUND)
					wantCode(t, s.Unregister(ctx, "dev1", k.s, p.Serial), walletwallet.ENOTFOUND)

					for _, q := range [][2]string{{k.s, PassTypeID}, {"dev1", k.s}} {
						serials, latest, err := s.UpdatedSerials(ctx, q[0], q[1], time.Time{})
						mustNil(t, err)
						if len(serials) != 0 || !latest.IsZero() {
							t.Fatalf("UpdatedSerials(%q, %q) = %v, %v; want nothing", q[0], q[1], serials, latest)
						}
					}
					if n, err := s.DeleteRegistrationsByToken(ctx, k.s); err != nil || n != 0 {
						t.Fatalf("DeleteRegistrationsByToken = %d, %v; want 0", n, err)
					}
					targets, err := s.PushTargets(ctx, PassTypeID, k.s, 0, 10)
					mustNil(t, err)
					if len(targets) != 0 {
						t.Fatalf("PushTargets = %v, want none", targets)
					}
					_, err = s.Asset(ctx, k.s)
					wantCode(t, err, walletwallet.ENOTFOUND)
				})
			}
			// Nothing above touched the real pass or its registration.
			got, err := s.Pass(ctx, p.PassTypeID, p.Serial)
			mustNil(t, err)
			wantBytes(t, "Blob", got.Blob, p.Blob)
			if n := countOf(t, s, p); n != 1 {
				t.Fatalf("Devices = %d, want 1", n)
			}
		}},
		testCase{"writes are refused as invalid", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			p := newPass(t, s, a)
			for _, k := range malformedKeys {
				t.Run(k.name, func(t *testing.T) {
					// A device or token that cannot be stored is the client's mistake.
					for _, r := range []walletwallet.Registration{
						{DeviceID: k.s, PushToken: "tok1", PassTypeID: p.PassTypeID, Serial: p.Serial},
						{DeviceID: "dev1", PushToken: k.s, PassTypeID: p.PassTypeID, Serial: p.Serial},
					} {
						_, err := s.Register(ctx, &r)
						wantCode(t, err, walletwallet.EINVALID)
					}
					bad := passFor(a, `{}`)
					bad.Serial = k.s
					wantCode(t, s.CreatePass(ctx, bad, bigQuota), walletwallet.EINVALID)
				})
			}
			if n := countOf(t, s, p); n != 0 {
				t.Fatalf("Devices = %d, want 0", n)
			}
			// A refused create counts nothing.
			if n, err := s.Usage(ctx, a.ID, bigQuota.Month); err != nil || n != 1 {
				t.Fatalf("Usage = %d, %v; want 1 (the one valid pass)", n, err)
			}
		}},
	)
}
