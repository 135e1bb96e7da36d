package passes

import (
	"context"

	"github.com/walletwallet/walletwallet"
)

// Usage is an account's count for the current month.
type Usage struct {
	Count, Limit, Remaining int64
	ResetDate               string // first day of next month, YYYY-MM-DD (UTC)
	Plan                    walletwallet.Plan
}

// Usage returns the caller's usage now: what counted this month, the
// limit in force (the trial's while it lasts) and when the count resets.
func (s *Service) Usage(ctx context.Context, a *walletwallet.Account) (*Usage, error) {
	now := s.Now()
	used, err := s.Store.Usage(ctx, a.ID, walletwallet.Month(now))
	if err != nil {
		return nil, err
	}
	limit := a.Limit(now)
	return &Usage{
		Count:     used,
		Limit:     limit,
		Remaining: max(limit-used, 0),
		ResetDate: walletwallet.NextMonthStart(now).Format("2006-01-02"),
		Plan:      a.EffectivePlan(now),
	}, nil
}
