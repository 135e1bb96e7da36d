package rules

import (
	"fmt"
	"strings"

	"github.com/walletwallet/walletwallet"
)

// CheckDeliveryStatus accepts the final states a delivery may be closed with.
func CheckDeliveryStatus(s walletwallet.DeliveryStatus) error {
	if s != walletwallet.DeliveryDelivered && s != walletwallet.DeliveryFailed {
		return fmt.Errorf("delivery status %q is not final", s)
	}
	return nil
}

// StatsRow is one row of account_stats: month "" is all time.
type StatsRow struct {
	Month                                          string
	Created, Updated, Voided, Installs, Uninstalls int64
}

// Stats turns an account's all-time row and month row (either may be
// missing) into walletwallet.Stats: passes are never deleted and a
// registration only goes with an uninstall, so the current figures are
// differences of the counted events.
func Stats(rows []StatsRow) *walletwallet.Stats {
	var s walletwallet.Stats
	for _, r := range rows {
		if r.Month == "" {
			s.Active = r.Created - r.Voided
			s.Voided = r.Voided
			s.Installs = r.Installs
			s.Uninstalls = r.Uninstalls
			s.Devices = r.Installs - r.Uninstalls
			continue
		}
		s.Month = walletwallet.MonthStats{Created: r.Created, Updated: r.Updated, Installs: r.Installs, Uninstalls: r.Uninstalls}
	}
	return &s
}

// Printable is a failure description fit for both backends' text columns:
// valid UTF-8, no NUL bytes, at most 500 bytes.
func Printable(s string) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "?"), "\x00", "?")
	if len(s) > 500 {
		s = strings.ToValidUTF8(s[:500], "")
	}
	return s
}
