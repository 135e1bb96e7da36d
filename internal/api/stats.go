package api

import (
	"net/http"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/jsonhttp"
)

// statsJSON is GET /api/stats, member for member as the contract lists it.
type statsJSON struct {
	Passes struct {
		Active int64 `json:"active"`
		Voided int64 `json:"voided"`
	} `json:"passes"`
	Devices    int64 `json:"devices"`
	Installs   int64 `json:"installs"`
	Uninstalls int64 `json:"uninstalls"`
	Month      struct {
		Created    int64 `json:"created"`
		Updated    int64 `json:"updated"`
		Installs   int64 `json:"installs"`
		Uninstalls int64 `json:"uninstalls"`
	} `json:"month"`
}

// stats answers the caller's counters. The store keeps them in the
// transaction of each change, so this is two row reads whatever the
// account's size.
func (s *server) stats(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	st, err := s.Store.Stats(r.Context(), a.ID, walletwallet.Month(s.Now()))
	if err != nil {
		return err
	}
	var out statsJSON
	out.Passes.Active, out.Passes.Voided = st.Active, st.Voided
	out.Devices, out.Installs, out.Uninstalls = st.Devices, st.Installs, st.Uninstalls
	out.Month.Created, out.Month.Updated = st.Month.Created, st.Month.Updated
	out.Month.Installs, out.Month.Uninstalls = st.Month.Installs, st.Month.Uninstalls
	jsonhttp.WriteJSON(w, http.StatusOK, out)
	return nil
}
