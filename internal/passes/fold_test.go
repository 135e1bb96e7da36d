package passes_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/passes"
	"github.com/walletwallet/walletwallet/internal/store/sqlite"
)

// After a template change's answer the pass rows are still behind; each
// way of reading a pass (the web service's store, the share page's, the
// service, the listing) folds it first, once: a new version with its event, and the
// job's batch afterwards finds nothing left to change.
func TestReadsFoldPassesBehindTheirTemplate(t *testing.T) {
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
	c, _, err := svc.IssueFromTemplate(ctx, a, v.ID, []byte(`{"passes": [{"values": {"m": "A-1"}}, {"values": {"m": "B-2"}}, {"values": {"m": "C-3"}}, {"values": {"m": "D-4"}}]}`), passes.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before := make([]*walletwallet.Pass, len(c.Passes))
	for i, p := range c.Passes {
		if before[i], err = st.Pass(ctx, "pass.test", p.Serial); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(time.Minute)
	if u, err := svc.PatchTemplate(ctx, a, v.ID, []byte(`{"pass": {"logoText": "New"}}`)); err != nil || u.UpdatedPasses != 4 {
		t.Fatalf("patch: %+v %v", u, err)
	}
	raw, err := st.Pass(ctx, "pass.test", before[0].Serial)
	if err != nil || raw.TemplateRev != before[0].TemplateRev || raw.Hash != before[0].Hash {
		t.Fatalf("the answer wrote the pass row (%v): %+v", err, raw)
	}
	reads := []func(p *walletwallet.Pass) (*walletwallet.Pass, error){
		func(p *walletwallet.Pass) (*walletwallet.Pass, error) {
			return svc.Renderer.FreshPass(ctx, st, p.PassTypeID, p.Serial)
		},
		func(p *walletwallet.Pass) (*walletwallet.Pass, error) {
			return svc.Renderer.ShareStore(st).PassByShareID(ctx, p.ShareID)
		},
		func(p *walletwallet.Pass) (*walletwallet.Pass, error) { return svc.Get(ctx, a, p.Serial) },
	}
	for i, read := range reads {
		for range 2 { // the second read finds it folded
			got, err := read(before[i])
			if err != nil {
				t.Fatal(err)
			}
			if got.TemplateRev != 2 || got.Hash == before[i].Hash || got.Blob != nil || !got.LastModified.After(before[i].LastModified) {
				t.Fatalf("read %d: rev %d, hash changed %v, blob %v, stamp %v → %v", i, got.TemplateRev,
					got.Hash != before[i].Hash, got.Blob != nil, before[i].LastModified, got.LastModified)
			}
		}
	}
	// The listing, with no other read of the fourth pass before it.
	listed := before[len(reads)]
	for range 2 {
		page, err := svc.List(ctx, a, passes.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range page.Passes {
			if row.TemplateRev != 2 || !row.LastModified.After(before[0].LastModified) {
				t.Fatalf("listed %s at revision %d, stamped %v (created %v)", row.Serial, row.TemplateRev, row.LastModified, before[0].LastModified)
			}
		}
		if len(page.Passes) != len(before) {
			t.Fatalf("listed %d passes, want %d", len(page.Passes), len(before))
		}
	}
	if got, err := st.Pass(ctx, "pass.test", listed.Serial); err != nil || got.TemplateRev != 2 || got.Hash == listed.Hash {
		t.Fatalf("the listing did not fold pass %s (%v): rev %d", listed.Serial, err, got.TemplateRev)
	}
	evs, err := st.Events(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	updated := map[string]int{}
	for _, e := range evs {
		if e.Type == walletwallet.EventPassUpdated {
			updated[e.Serial]++
		}
	}
	for _, p := range before {
		if updated[p.Serial] != 1 {
			t.Fatalf("pass.updated events per pass: %v", updated)
		}
	}
	res, err := svc.Renderer.FoldBatch(ctx, v.ID, "pass.test", "", 10)
	if err != nil || res.Scanned != 4 || res.Changed != 0 {
		t.Fatalf("the job's batch after the reads: %+v %v", res, err)
	}
}
