package passes_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/passes"
	"github.com/walletwallet/walletwallet/internal/store/sqlite"
)

// signed records what the signer was asked to sign (the signer itself is
// tested in internal/issuer; here it matters which body reaches it).
type signed struct{ bodies []string }

func (s *signed) Rebuild(_ context.Context, p *walletwallet.Pass) ([]byte, error) {
	s.bodies = append(s.bodies, string(p.Request))
	return []byte("signed"), nil
}

// Every path that reads a template pass's body gets the current design
// rendered with the pass's values: the share page's store, the lazy
// signer, the service's reads.
func TestTemplatePassBodyIsAlwaysCurrent(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ww.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := &walletwallet.Account{Email: "a@example.com", Plan: walletwallet.PlanPro}
	if err := st.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	svc := passes.New(passes.Options{Store: st, PassTypeID: "pass.test", PublicURL: "https://x.test", Now: func() time.Time { return now }})
	v, err := svc.CreateTemplate(ctx, a, []byte(`{"name": "c", "pass": {"logoText": "Old", "barcodeValue": "{{m}}", "barcodeFormat": "QR"}}`))
	if err != nil {
		t.Fatal(err)
	}
	c, bulk, err := svc.IssueFromTemplate(ctx, a, v.ID, []byte(`{"passes": [{"values": {"m": "A-1"}}, {"values": {"m": "B-2"}}]}`), passes.CreateOptions{})
	if err != nil || !bulk || len(c.Passes) != 2 || c.Passes[0].Blob != nil {
		t.Fatalf("bulk: %v, bulk %v, %d passes (the bulk is signed lazily)", err, bulk, len(c.Passes))
	}
	now = now.Add(time.Minute)
	u, err := svc.PatchTemplate(ctx, a, v.ID, []byte(`{"pass": {"logoText": "New"}}`))
	if err != nil || u.UpdatedPasses != 2 {
		t.Fatalf("patch: %+v %v", u, err)
	}
	rb := &signed{}
	src := svc.Renderer.Rebuilder(rb)
	share := svc.Renderer.ShareStore(st)
	for i, want := range []string{"A-1", "B-2"} {
		stored, err := st.Pass(ctx, "pass.test", c.Passes[i].Serial)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.Rebuild(ctx, stored); err != nil {
			t.Fatal(err)
		}
		if got := rb.bodies[i]; !strings.Contains(got, `"logoText":"New"`) || !strings.Contains(got, `"barcodeValue":"`+want+`"`) {
			t.Fatalf("signed body %s", got)
		}
		sp, err := share.PassByShareID(ctx, stored.ShareID)
		if err != nil || !strings.Contains(string(sp.Request), `"logoText":"New"`) {
			t.Fatalf("share page body %s (%v)", sp.Request, err)
		}
		gp, err := svc.Get(ctx, a, stored.Serial)
		if err != nil || string(gp.Request) != rb.bodies[i] {
			t.Fatalf("service read %s, signer got %s (%v)", gp.Request, rb.bodies[i], err)
		}
	}
}
