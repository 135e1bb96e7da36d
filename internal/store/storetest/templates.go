package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

// The suite's templates render trivially: a pass's hash is the hash of
// the design followed by its values, so a design change changes every pass
// and rehashOf decides which passes a case keeps unchanged.

func newTemplate(t testing.TB, s walletwallet.Store, a *walletwallet.Account, design string) *walletwallet.Template {
	t.Helper()
	tp := &walletwallet.Template{ID: walletwallet.NewTemplateID(), AccountID: a.ID, Name: "card",
		Design: []byte(design), Defaults: []byte(`{}`), CreatedAt: t0}
	if err := s.CreateTemplate(context.Background(), tp); err != nil {
		t.Fatal(err)
	}
	return tp
}

func templatePass(t testing.TB, s walletwallet.Store, tp *walletwallet.Template, values string) *walletwallet.Pass {
	t.Helper()
	p := passFor(&walletwallet.Account{ID: tp.AccountID}, `{"rendered":`+values+`}`)
	p.TemplateID, p.TemplateRev, p.Values = tp.ID, tp.Rev, []byte(values)
	p.Hash = hashOf(append(append([]byte{}, tp.Design...), values...))
	if err := s.CreatePass(context.Background(), p, bigQuota); err != nil {
		t.Fatal(err)
	}
	return p
}

// change is a TemplateChange of tp to design whose Rehash follows the
// suite's rule, except that passes in keep keep their hash.
func change(tp *walletwallet.Template, design string, at time.Time, keep ...*walletwallet.Pass) *walletwallet.TemplateChange {
	kept := map[string]string{}
	for _, p := range keep {
		kept[p.Serial] = p.Hash
	}
	return &walletwallet.TemplateChange{
		ID: tp.ID, AccountID: tp.AccountID, PrevRev: tp.Rev, Name: "card v2",
		Design: []byte(design), Defaults: []byte(`{"x":"y"}`), At: at,
		Rehash: func(serial string, values []byte) (string, error) {
			if h, ok := kept[serial]; ok {
				return h, nil
			}
			return hashOf(append([]byte(design), values...)), nil
		},
	}
}

// foldAll folds revision rev of c's template into its passes, limit at a
// time, as the template job does, and returns how many changed.
func foldAll(t *testing.T, s walletwallet.Store, c *walletwallet.TemplateChange, rev int64, limit int) int {
	t.Helper()
	changed, after := 0, ""
	for {
		res, err := s.FoldTemplate(context.Background(), &walletwallet.TemplateFold{
			TemplateID: c.ID, PassTypeID: PassTypeID, Rev: rev, After: after, Limit: limit, At: c.At, Rehash: c.Rehash})
		mustNil(t, err)
		if res.Scanned > limit || (res.Scanned > 0 && res.Last <= after) {
			t.Fatalf("fold after %q: %+v", after, res)
		}
		changed += res.Changed
		if res.Scanned < limit {
			return changed
		}
		after = res.Last
	}
}

func mustPass(t *testing.T, s walletwallet.Store, p *walletwallet.Pass) *walletwallet.Pass {
	t.Helper()
	got, err := s.Pass(context.Background(), p.PassTypeID, p.Serial)
	mustNil(t, err)
	return got
}

func init() {
	register("templates",
		testCase{"create, read, list", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a, b := newAccount(t, s, 0), newAccount(t, s, 0)
			tp := newTemplate(t, s, a, `{"d":1}`)
			newTemplate(t, s, b, `{"d":2}`)
			if tp.Rev != 1 {
				t.Fatalf("rev = %d, want 1", tp.Rev)
			}
			got, err := s.Template(ctx, tp.ID)
			mustNil(t, err)
			wantBytes(t, "design", got.Design, tp.Design)
			wantBytes(t, "defaults", got.Defaults, tp.Defaults)
			wantTime(t, "created", got.CreatedAt, t0)
			if got.AccountID != a.ID || got.Name != "card" || got.Passes != 0 || got.Deleted {
				t.Fatalf("template = %+v", got)
			}
			p := templatePass(t, s, tp, `{"n":"1"}`)
			registerDevice(t, s, p, "d1", "t1")
			registerDevice(t, s, p, "d2", "t2")
			templatePass(t, s, tp, `{"n":"2"}`)
			newPass(t, s, a) // not from the template
			list, err := s.Templates(ctx, a.ID)
			mustNil(t, err)
			if len(list) != 1 || list[0].ID != tp.ID || list[0].Passes != 2 || list[0].Devices != 2 {
				t.Fatalf("list = %+v, want the one template with 2 passes and 2 devices", list)
			}
			n, d, err := s.TemplateCounts(ctx, tp.ID)
			mustNil(t, err)
			if n != 2 || d != 2 {
				t.Fatalf("counts = %d passes, %d devices; want 2, 2", n, d)
			}
			sp := mustPass(t, s, p)
			if sp.TemplateID != tp.ID || sp.TemplateRev != 1 || string(sp.Values) != `{"n":"1"}` {
				t.Fatalf("stored pass template fields = %q %d %q", sp.TemplateID, sp.TemplateRev, sp.Values)
			}
			if other := mustPass(t, s, newPass(t, s, a)); other.TemplateID != "" || other.Values != nil {
				t.Fatalf("plain pass has template fields %q %q", other.TemplateID, other.Values)
			}
			for _, id := range []string{walletwallet.NewTemplateID(), "tpl_x", "tpl_\x00\xff" + "0123456789012345678"} {
				_, err = s.Template(ctx, id)
				wantCode(t, err, walletwallet.ENOTFOUND)
			}
		}},
		testCase{"passes only from a current template of the account", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a, b := newAccount(t, s, 0), newAccount(t, s, 0)
			tp := newTemplate(t, s, a, `{"d":1}`)
			cases := []struct {
				name string
				edit func(p *walletwallet.Pass)
				want string
			}{
				{"stale revision", func(p *walletwallet.Pass) { p.TemplateRev = 2 }, walletwallet.ECONFLICT},
				{"another account's", func(p *walletwallet.Pass) { p.AccountID = b.ID }, walletwallet.EFORBIDDEN},
				{"unknown template", func(p *walletwallet.Pass) { p.TemplateID = walletwallet.NewTemplateID() }, walletwallet.ENOTFOUND},
			}
			for _, c := range cases {
				p := passFor(a, `{}`)
				p.TemplateID, p.TemplateRev, p.Values = tp.ID, 1, []byte(`{}`)
				c.edit(p)
				wantCode(t, s.CreatePasses(ctx, []*walletwallet.Pass{passFor(a, `{}`), p}, bigQuota, nil), c.want)
			}
			wantUsage(t, s, a, 0)
			wantUsage(t, s, b, 0)
		}},
		testCase{"update gives changed passes new versions", testTemplateUpdate},
		testCase{"update is all or nothing", testTemplateUpdateRefusals},
		testCase{"values change needs the current revision", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a := newAccount(t, s, 0)
			tp := newTemplate(t, s, a, `{"d":1}`)
			p := templatePass(t, s, tp, `{"n":"1"}`)
			_, err := s.UpdateTemplate(ctx, change(tp, `{"d":2}`, t0.Add(time.Second)), bigQuota)
			mustNil(t, err)
			p = mustPass(t, s, p)
			u := changeOf(p, `{"rendered":{"n":"2"}}`, t0.Add(2*time.Second))
			u.Values, u.TemplateRev = []byte(`{"n":"2"}`), 1
			_, err = s.UpdatePass(ctx, u, bigQuota)
			wantCode(t, err, walletwallet.ECONFLICT)
			u.TemplateRev = 2
			res, err := s.UpdatePass(ctx, u, bigQuota)
			mustNil(t, err)
			got := mustPass(t, s, p)
			if res.Unchanged || string(got.Values) != `{"n":"2"}` || got.TemplateRev != 2 || got.Hash != u.Hash {
				t.Fatalf("after values change: %+v, pass values %q rev %d", res, got.Values, got.TemplateRev)
			}
		}},
		testCase{"delete", func(t *testing.T, s walletwallet.Store) {
			ctx := context.Background()
			a, b := newAccount(t, s, 0), newAccount(t, s, 0)
			tp := newTemplate(t, s, a, `{"d":1}`)
			p := templatePass(t, s, tp, `{"n":"1"}`)
			wantCode(t, s.DeleteTemplate(ctx, b.ID, tp.ID), walletwallet.EFORBIDDEN)
			wantCode(t, s.DeleteTemplate(ctx, a.ID, tp.ID), walletwallet.ECONFLICT)
			_, err := s.VoidPass(ctx, voidOf(p, t0.Add(time.Second)))
			mustNil(t, err)
			mustNil(t, s.DeleteTemplate(ctx, a.ID, tp.ID))
			wantCode(t, s.DeleteTemplate(ctx, a.ID, tp.ID), walletwallet.ENOTFOUND)
			wantCode(t, s.DeleteTemplate(ctx, a.ID, walletwallet.NewTemplateID()), walletwallet.ENOTFOUND)
			got, err := s.Template(ctx, tp.ID)
			mustNil(t, err)
			if !got.Deleted {
				t.Fatal("deleted template not marked deleted")
			}
			list, err := s.Templates(ctx, a.ID)
			mustNil(t, err)
			if len(list) != 0 {
				t.Fatalf("deleted template still listed: %+v", list)
			}
			_, err = s.UpdateTemplate(ctx, change(got, `{"d":3}`, t0.Add(2*time.Second)), bigQuota)
			wantCode(t, err, walletwallet.ENOTFOUND)
			q := passFor(a, `{}`)
			q.TemplateID, q.TemplateRev = tp.ID, 1
			wantCode(t, s.CreatePass(ctx, q, bigQuota), walletwallet.ENOTFOUND)
		}},
		testCase{"fan-out jobs", testTemplateJobs},
		testCase{"fan-out pages", testTemplatePages},
	)
}

func testTemplateUpdate(t *testing.T, s walletwallet.Store) {
	ctx := context.Background()
	a := newAccount(t, s, 0)
	tp := newTemplate(t, s, a, `{"d":1}`)
	p1 := templatePass(t, s, tp, `{"n":"1"}`)
	p2 := templatePass(t, s, tp, `{"n":"2"}`)
	same := templatePass(t, s, tp, `{"n":"3"}`)
	voided := templatePass(t, s, tp, `{"n":"4"}`)
	plain := newPass(t, s, a)
	registerDevice(t, s, p1, "d1", "t1")
	registerDevice(t, s, p1, "d2", "t2")
	registerDevice(t, s, p2, "d1", "t1")
	registerDevice(t, s, same, "d3", "t3")
	_, err := s.VoidPass(ctx, voidOf(voided, t0.Add(time.Second)))
	mustNil(t, err)
	events := &eventLog{s: s}
	events.next(t)
	wantUsage(t, s, a, 5)

	// Within the same second as the passes' versions: the new ones go to
	// the next second (If-Modified-Since has whole seconds).
	at := t0.Add(100 * time.Millisecond)
	ch := change(tp, `{"d":2}`, at, same)
	res, err := s.UpdateTemplate(ctx, ch, walletwallet.Quota{Month: bigQuota.Month, Limit: 7})
	mustNil(t, err)
	if res.Rev != 2 || res.UpdatedPasses != 2 || res.NotifiedDevices != 3 {
		t.Fatalf("result = %+v, want rev 2, 2 passes, 3 devices", res)
	}
	wantUsage(t, s, a, 7)
	// The answer writes no pass: the fold does, once per pass.
	if got := mustPass(t, s, p1); got.Hash != p1.Hash || got.TemplateRev != 1 || got.Blob == nil {
		t.Fatalf("update wrote pass %s before the fold: %+v", p1.Serial, got)
	}
	if evs := events.next(t); len(evs) != 0 {
		t.Fatalf("events before the fold: %+v", evs)
	}
	wantListedRevs(t, s, a, map[string]int64{p1.Serial: 1, p2.Serial: 1, same.Serial: 1, plain.Serial: 0})
	// Stale revision: the folder renders again.
	_, err = s.FoldTemplate(ctx, &walletwallet.TemplateFold{TemplateID: tp.ID, PassTypeID: PassTypeID, Rev: 1, Limit: 10, At: at, Rehash: ch.Rehash})
	if !errors.Is(err, walletwallet.ErrTemplateChanged) {
		t.Fatalf("fold of an old revision: %v", err)
	}
	// One pass alone (a read reaching it first), then the batches.
	one, err := s.FoldTemplate(ctx, &walletwallet.TemplateFold{TemplateID: tp.ID, PassTypeID: PassTypeID, Rev: 2, Serial: p2.Serial, At: at, Rehash: ch.Rehash})
	mustNil(t, err)
	if one.Scanned != 1 || one.Changed != 1 || one.Last != p2.Serial {
		t.Fatalf("single fold = %+v", one)
	}
	if n := foldAll(t, s, ch, 2, 2); n != 1 {
		t.Fatalf("batch folds changed %d passes, want 1 (p1; p2 was folded)", n)
	}
	if n := foldAll(t, s, ch, 2, 2); n != 0 {
		t.Fatalf("a second fold changed %d passes", n)
	}
	for _, p := range []*walletwallet.Pass{p1, p2} {
		got := mustPass(t, s, p)
		wantTime(t, "new version", got.LastModified, t0.Truncate(time.Second).Add(time.Second))
		if got.Blob != nil || got.TemplateRev != 2 || got.Hash != hashOf([]byte(`{"d":2}`+string(p.Values))) {
			t.Fatalf("changed pass: blob %q rev %d hash %s", got.Blob, got.TemplateRev, got.Hash)
		}
		wantBytes(t, "values", got.Values, p.Values)
	}
	// An unchanged pass only records that it is at the new revision.
	for _, c := range []struct {
		p   *walletwallet.Pass
		rev int64
	}{{same, 2}, {plain, plain.TemplateRev}} {
		got := mustPass(t, s, c.p)
		wantTime(t, "unchanged version", got.LastModified, t0)
		if got.Blob == nil || got.Hash != c.p.Hash || got.TemplateRev != c.rev {
			t.Fatalf("unchanged pass touched: blob %q hash %s rev %d", got.Blob, got.Hash, got.TemplateRev)
		}
	}
	if got := mustPass(t, s, voided); got.TemplateRev != 1 || got.Blob == nil {
		t.Fatalf("voided pass touched: rev %d blob %q", got.TemplateRev, got.Blob)
	}
	wantListedRevs(t, s, a, map[string]int64{p1.Serial: 2, p2.Serial: 2, same.Serial: 2, voided.Serial: 1, plain.Serial: 0})
	evs := events.next(t)
	if len(evs) != 2 {
		t.Fatalf("events = %+v, want two pass.updated", evs)
	}
	for _, e := range evs {
		if e.Type != walletwallet.EventPassUpdated || e.TemplateID != tp.ID || e.AccountID != a.ID ||
			(e.Serial != p1.Serial && e.Serial != p2.Serial) {
			t.Fatalf("event %+v", e)
		}
	}
	got, err := s.Template(ctx, tp.ID)
	mustNil(t, err)
	if got.Rev != 2 || got.Name != "card v2" || string(got.Design) != `{"d":2}` || string(got.Defaults) != `{"x":"y"}` {
		t.Fatalf("template after update = %+v", got)
	}
	wantTime(t, "updatedAt", got.UpdatedAt, at)
	serials, _, err := s.UpdatedSerials(ctx, "d1", PassTypeID, t0)
	mustNil(t, err)
	if len(serials) != 2 {
		t.Fatalf("d1's updated serials = %v, want both of its passes", serials)
	}
	// A device that asked after the update hears of nothing more.
	serials, _, err = s.UpdatedSerials(ctx, "d3", PassTypeID, t0)
	mustNil(t, err)
	if len(serials) != 0 {
		t.Fatalf("d3 (unchanged pass) told of %v", serials)
	}
	// A pass made now is at the new revision; an update that changes no
	// pass counts nothing and enqueues nothing.
	templatePass(t, s, got, `{"n":"5"}`)
	wantUsage(t, s, a, 8)
	res, err = s.UpdateTemplate(ctx, change(got, `{"d":2}`, at.Add(time.Second), same), bigQuota)
	mustNil(t, err)
	if res.Rev != 3 || res.UpdatedPasses != 0 || res.NotifiedDevices != 0 {
		t.Fatalf("no-change result = %+v", res)
	}
	wantUsage(t, s, a, 8)
}

func testTemplateUpdateRefusals(t *testing.T, s walletwallet.Store) {
	ctx := context.Background()
	a, b := newAccount(t, s, 0), newAccount(t, s, 0)
	tp := newTemplate(t, s, a, `{"d":1}`)
	p1 := templatePass(t, s, tp, `{"n":"1"}`)
	p2 := templatePass(t, s, tp, `{"n":"2"}`)
	registerDevice(t, s, p1, "d1", "t1")
	boom := errors.New("pass cannot be rendered")
	cases := []struct {
		name string
		edit func(c *walletwallet.TemplateChange)
		q    walletwallet.Quota
		want string
		err  error
	}{
		{"fewer remain than change", nil, walletwallet.Quota{Month: bigQuota.Month, Limit: 3}, walletwallet.EQUOTA, nil},
		{"stale revision", func(c *walletwallet.TemplateChange) { c.PrevRev = 7 }, bigQuota, walletwallet.ECONFLICT, nil},
		{"another account", func(c *walletwallet.TemplateChange) { c.AccountID = b.ID }, bigQuota, walletwallet.EFORBIDDEN, nil},
		{"rehash fails", func(c *walletwallet.TemplateChange) {
			c.Rehash = func(serial string, _ []byte) (string, error) {
				if serial == p2.Serial {
					return "", boom
				}
				return "new", nil
			}
		}, bigQuota, "", boom},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := change(tp, `{"d":2}`, t0.Add(time.Second))
			if c.edit != nil {
				c.edit(ch)
			}
			_, err := s.UpdateTemplate(ctx, ch, c.q)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err = %v, want %v", err, c.err)
				}
			} else {
				wantCode(t, err, c.want)
			}
			wantUsage(t, s, a, 2)
			for _, p := range []*walletwallet.Pass{p1, p2} {
				if got := mustPass(t, s, p); got.Hash != p.Hash || got.Blob == nil || !got.LastModified.Equal(p.LastModified) {
					t.Fatalf("refused update touched %s", p.Serial)
				}
			}
			got, err := s.Template(ctx, tp.ID)
			mustNil(t, err)
			if got.Rev != 1 || string(got.Design) != `{"d":1}` {
				t.Fatalf("refused update changed the template: %+v", got)
			}
			j, err := s.ClaimTemplatePushJob(ctx, "w", t0.Add(time.Hour), t0.Add(2*time.Hour))
			mustNil(t, err)
			if j != nil {
				t.Fatalf("refused update enqueued %+v", j)
			}
		})
	}
}

func testTemplateJobs(t *testing.T, s walletwallet.Store) {
	ctx := context.Background()
	a := newAccount(t, s, 0)
	tp := newTemplate(t, s, a, `{"d":1}`)
	var ps []*walletwallet.Pass
	for i := range 3 {
		p := templatePass(t, s, tp, `{"n":"`+string(rune('a'+i))+`"}`)
		ps = append(ps, p)
		registerDevice(t, s, p, "x"+p.Serial, "tok-x-"+p.Serial)
		registerDevice(t, s, p, "y"+p.Serial, "tok-y-"+p.Serial)
	}
	unchanged := ps[2]
	// Another template's pass on the same device library is not a target.
	other := templatePass(t, s, newTemplate(t, s, a, `{"o":1}`), `{}`)
	registerDevice(t, s, other, "x"+ps[0].Serial, "tok-x-"+ps[0].Serial)

	ch := change(tp, `{"d":2}`, t0.Add(time.Second), unchanged)
	res, err := s.UpdateTemplate(ctx, ch, bigQuota)
	mustNil(t, err)
	if res.NotifiedDevices != 4 {
		t.Fatalf("notified = %d, want 4", res.NotifiedDevices)
	}
	now := t0.Add(time.Minute)
	j, err := s.ClaimTemplatePushJob(ctx, "w1", now, now.Add(time.Minute))
	mustNil(t, err)
	if j == nil || j.TemplateID != tp.ID || j.Rev != 2 || j.PassTypeID != PassTypeID || j.Attempts != 1 || j.CursorSerial != "" {
		t.Fatalf("claimed %+v", j)
	}
	if again, err := s.ClaimTemplatePushJob(ctx, "w2", now, now.Add(time.Minute)); err != nil || again != nil {
		t.Fatalf("leased job claimed again: %+v %v", again, err)
	}
	wantCode(t, s.AdvanceTemplatePushJob(ctx, j.ID, "w2", "x", 1), walletwallet.ECONFLICT)
	mustNil(t, s.ExtendTemplatePushLease(ctx, j.ID, "w1", now.Add(2*time.Minute)))
	// Nothing is a target before its pass is folded; with a bound, only
	// what is folded up to it.
	job := *j
	if page, err := s.TemplatePushTargets(ctx, &job, "", 10); err != nil || len(page) != 0 {
		t.Fatalf("targets before the fold: %v %v", page, err)
	}
	first, err := s.FoldTemplate(ctx, &walletwallet.TemplateFold{TemplateID: tp.ID, PassTypeID: PassTypeID, Rev: 2, Limit: 1, At: ch.At, Rehash: ch.Rehash})
	mustNil(t, err)
	page, err := s.TemplatePushTargets(ctx, &job, first.Last, 10)
	mustNil(t, err)
	for _, tg := range page {
		if tg.Serial != first.Last {
			t.Fatalf("target %+v beyond the folded bound %s", tg, first.Last)
		}
	}
	if len(page) != 2 && first.Changed == 1 {
		t.Fatalf("targets up to %s = %v, want its 2 devices", first.Last, page)
	}
	foldAll(t, s, ch, 2, 10)
	var got []string
	for {
		page, err := s.TemplatePushTargets(ctx, &job, "", 3)
		mustNil(t, err)
		if len(page) > 3 {
			t.Fatalf("page of %d, limit 3", len(page))
		}
		for _, tg := range page {
			got = append(got, tg.PushToken)
		}
		if len(page) == 0 {
			break
		}
		last := page[len(page)-1]
		mustNil(t, s.AdvanceTemplatePushJob(ctx, j.ID, "w1", last.Serial, last.RegistrationID))
		job.CursorSerial, job.CursorID = last.Serial, last.RegistrationID
	}
	want := map[string]bool{}
	for _, p := range ps[:2] {
		want["tok-x-"+p.Serial], want["tok-y-"+p.Serial] = true, true
	}
	if len(got) != 4 {
		t.Fatalf("targets = %v, want the 4 devices of the changed passes", got)
	}
	for _, tok := range got {
		if !want[tok] {
			t.Fatalf("target %s is not a device of a changed pass (all: %v)", tok, got)
		}
		delete(want, tok)
	}
	// The cursor survives a takeover: the lease runs out, another owner
	// claims the job where it was left.
	later := now.Add(3 * time.Minute)
	j2, err := s.ClaimTemplatePushJob(ctx, "w2", later, later.Add(time.Minute))
	mustNil(t, err)
	if j2 == nil || j2.ID != j.ID || j2.CursorSerial != job.CursorSerial || j2.CursorID != job.CursorID || j2.Attempts != 2 {
		t.Fatalf("takeover claimed %+v, want job %d at cursor %s/%d", j2, j.ID, job.CursorSerial, job.CursorID)
	}
	wantCode(t, s.FinishTemplatePushJob(ctx, j.ID, "w1"), walletwallet.ECONFLICT)
	mustNil(t, s.FinishTemplatePushJob(ctx, j.ID, "w2"))
	if j3, err := s.ClaimTemplatePushJob(ctx, "w3", later.Add(time.Hour), later.Add(2*time.Hour)); err != nil || j3 != nil {
		t.Fatalf("finished job claimed: %+v %v", j3, err)
	}
}

// testTemplatePages pages a job over passes of one device each: a page
// whose cursor is on a pass's last device takes limit passes after it, so
// every page of a bound range is full but the last, which is short rather
// than followed by an empty one; nothing is left out or listed twice.
func testTemplatePages(t *testing.T, s walletwallet.Store) {
	ctx := context.Background()
	a := newAccount(t, s, 0)
	tp := newTemplate(t, s, a, `{"d":1}`)
	var ps []*walletwallet.Pass
	for i := range 8 {
		ps = append(ps, templatePass(t, s, tp, fmt.Sprintf(`{"n":%d}`, i)))
	}
	slices.SortFunc(ps, func(a, b *walletwallet.Pass) int { return strings.Compare(a.Serial, b.Serial) })
	var toks []string
	for _, p := range ps {
		registerDevice(t, s, p, "dev-"+p.Serial, "tok-"+p.Serial)
		toks = append(toks, "tok-"+p.Serial)
	}
	ch := change(tp, `{"d":2}`, t0.Add(time.Second))
	res, err := s.UpdateTemplate(ctx, ch, bigQuota)
	mustNil(t, err)
	now := t0.Add(time.Minute)
	j, err := s.ClaimTemplatePushJob(ctx, "w", now, now.Add(time.Minute))
	mustNil(t, err)
	if j == nil {
		t.Fatal("no job claimed")
	}
	foldAll(t, s, ch, res.Rev, 100)
	job := *j
	pages := func(upTo string, limit int) (sizes []int, got []string) {
		for {
			page, err := s.TemplatePushTargets(ctx, &job, upTo, limit)
			mustNil(t, err)
			sizes = append(sizes, len(page))
			if len(page) == 0 {
				return sizes, got
			}
			for _, tg := range page {
				got = append(got, tg.PushToken)
			}
			last := page[len(page)-1]
			job.CursorSerial, job.CursorID = last.Serial, last.RegistrationID
		}
	}
	// Up to the 7th pass in pages of 3: 3, 3, 1, then nothing.
	sizes, got := pages(ps[6].Serial, 3)
	if !slices.Equal(sizes, []int{3, 3, 1, 0}) || !slices.Equal(got, toks[:7]) {
		t.Fatalf("pages up to the 7th pass: sizes %v, targets %v, want [3 3 1 0] and %v", sizes, got, toks[:7])
	}
	sizes, got = pages("", 3)
	if !slices.Equal(sizes, []int{1, 0}) || !slices.Equal(got, toks[7:]) {
		t.Fatalf("pages after the bound: sizes %v, targets %v, want [1 0] and %v", sizes, got, toks[7:])
	}
}

// wantListedRevs checks the template revision ListPasses gives the named
// passes of a.
func wantListedRevs(t *testing.T, s walletwallet.Store, a *walletwallet.Account, want map[string]int64) {
	t.Helper()
	rows, err := s.ListPasses(context.Background(), walletwallet.PassQuery{AccountID: a.ID, Limit: 100})
	mustNil(t, err)
	seen := 0
	for _, r := range rows {
		if rev, ok := want[r.Serial]; ok {
			seen++
			if r.TemplateRev != rev {
				t.Fatalf("listed pass %s at template revision %d, want %d", r.Serial, r.TemplateRev, rev)
			}
		}
	}
	if seen != len(want) {
		t.Fatalf("listed %d of the %d passes checked", seen, len(want))
	}
}
