package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

func init() {
	register("templates",
		testCase{"a fold records, counts and delivers one pass.updated per changed pass, by the month of its new version", testFoldEvents},
	)
}

// eventsAfter lists every event with id > after.
func eventsAfter(t *testing.T, s walletwallet.Store, after int64) []walletwallet.Event {
	t.Helper()
	evs, err := s.Events(context.Background(), after, 1000)
	mustNil(t, err)
	return evs
}

func lastEventID(t *testing.T, s walletwallet.Store) int64 {
	t.Helper()
	evs := eventsAfter(t, s, 0)
	if len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].ID
}

// testFoldEvents: the fold writes a batch's events in one go on some
// backends and counts them itself (SQLite's trigger counts row by row);
// whatever the way, each changed pass is one event, counted once in the
// month of its own new version, and queued for each webhook that takes it.
func testFoldEvents(t *testing.T, s walletwallet.Store) {
	ctx := context.Background()
	a, b := newAccount(t, s, 0), newAccount(t, s, 0)
	tp := newTemplate(t, s, a, `{"d":1}`)
	var ps []*walletwallet.Pass
	for i := range 4 {
		ps = append(ps, templatePass(t, s, tp, `{"n":"`+string(rune('a'+i))+`"}`))
	}
	// The change comes 0.4 s before December; a pass last changed within
	// that second gets its next version in the next second, in December.
	at := time.Date(2026, 11, 30, 23, 59, 59, 600_000_000, time.UTC)
	late := ps[2]
	u := changeOf(late, `{"rendered":{"n":"late"}}`, at.Add(-500*time.Millisecond))
	u.Values, u.TemplateRev = []byte(`{"n":"late"}`), tp.Rev
	_, err := s.UpdatePass(ctx, u, bigQuota)
	mustNil(t, err)
	late = mustPass(t, s, late)
	kept := ps[3]
	otherTpl := newTemplate(t, s, b, `{"o":1}`)
	templatePass(t, s, otherTpl, `{}`)
	updates := newWebhook(a, "https://updates.example/hook", walletwallet.EventPassUpdated)
	installs := newWebhook(a, "https://installs.example/hook", walletwallet.EventPassInstalled)
	elsewhere := newWebhook(b, "https://b.example/hook", walletwallet.AllEventTypes...)
	for _, w := range []*walletwallet.Webhook{updates, installs, elsewhere} {
		mustNil(t, s.CreateWebhook(ctx, w))
	}
	now := time.Now()
	claimAll(t, s, "o1", now) // nothing before the change is of interest
	nov := walletwallet.Stats{Active: 4, Month: walletwallet.MonthStats{Created: 4, Updated: 1}}
	wantStats(t, s, a, "2026-11", "before the change", nov)
	before := lastEventID(t, s)

	ch := change(tp, `{"d":2}`, at, kept)
	ch.PrevRev = tp.Rev
	res, err := s.UpdateTemplate(ctx, ch, bigQuota)
	mustNil(t, err)
	if res.UpdatedPasses != 3 {
		t.Fatalf("UpdatedPasses = %d, want 3", res.UpdatedPasses)
	}
	if evs := eventsAfter(t, s, before); len(evs) != 0 {
		t.Fatalf("the change itself recorded %d events, want none until the fold", len(evs))
	}
	if n := foldAll(t, s, ch, res.Rev, 2); n != 3 {
		t.Fatalf("fold changed %d passes, want 3", n)
	}
	evs := eventsAfter(t, s, before)
	var got []string
	for _, e := range evs {
		p := mustPass(t, s, &walletwallet.Pass{PassTypeID: e.PassTypeID, Serial: e.Serial})
		if e.Type != walletwallet.EventPassUpdated || e.AccountID != a.ID || e.TemplateID != tp.ID || !e.CreatedAt.Equal(p.LastModified) {
			t.Fatalf("event %+v, want pass.updated of account %d, template %s, at the pass's new version %v", e, a.ID, tp.ID, p.LastModified)
		}
		got = append(got, e.Serial)
	}
	want := []string{ps[0].Serial, ps[1].Serial, late.Serial}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("events name %v, want the 3 changed passes %v", got, want)
	}
	if lm := mustPass(t, s, late).LastModified; !lm.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("late pass stamped %v, want the first second of December", lm)
	}
	nov.Month.Updated += 2
	wantStats(t, s, a, "2026-11", "after the fold, November", nov)
	wantStats(t, s, a, "2026-12", "after the fold, December", walletwallet.Stats{Active: 4, Month: walletwallet.MonthStats{Updated: 1}})
	wantStats(t, s, b, "2026-11", "the other account", walletwallet.Stats{Active: 1, Month: walletwallet.MonthStats{Created: 1}})
	wantDeliveries(t, "after the fold", claimAll(t, s, "o1", now),
		updates.ID+" pass.updated "+ps[0].Serial+" ", updates.ID+" pass.updated "+ps[1].Serial+" ",
		updates.ID+" pass.updated "+late.Serial+" ")

	// Folding again does nothing; a single pass folded by a read counts
	// like a batch.
	if n := foldAll(t, s, ch, res.Rev, 10); n != 0 {
		t.Fatalf("second fold changed %d", n)
	}
	ch2 := change(tp, `{"d":3}`, at.Add(time.Hour))
	ch2.PrevRev = res.Rev
	res2, err := s.UpdateTemplate(ctx, ch2, bigQuota)
	mustNil(t, err)
	one, err := s.FoldTemplate(ctx, &walletwallet.TemplateFold{TemplateID: tp.ID, PassTypeID: PassTypeID,
		Rev: res2.Rev, Serial: kept.Serial, At: ch2.At, Rehash: ch2.Rehash})
	mustNil(t, err)
	if one.Changed != 1 {
		t.Fatalf("single fold = %+v", one)
	}
	wantStats(t, s, a, "2026-12", "after a single fold", walletwallet.Stats{Active: 4, Month: walletwallet.MonthStats{Updated: 2}})
	wantStats(t, s, a, "2026-11", "November unchanged", nov)
	wantDeliveries(t, "after a single fold", claimAll(t, s, "o1", now), updates.ID+" pass.updated "+kept.Serial+" ")
	if n := len(eventsAfter(t, s, before)); n != 4 {
		t.Fatalf("%d events after both folds, want 4", n)
	}
}
