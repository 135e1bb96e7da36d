// Package push delivers pass updates to devices: an APNs client (HTTP/2,
// certificate or token auth) and the fan-out job kind (fanout.go: paging
// and cursor; deliver.go: one push and what APNs' answer means), which a
// jobs.Runner schedules (claim, lease, heartbeat, takeover).
//
// Queue design (decided by the lead, recorded here): we do not use River.
// A changed PUT commits one fan-out job row in the same transaction as the
// update (a transactional outbox). The runner leases the job and renews the
// lease with a heartbeat every Lease/3; the fan-out pages through the pass's
// registrations by registration id and persists a cursor only after a page
// has settled. River's rescue of stuck jobs runs on a fixed 30 s tick on the
// leader after RescueStuckJobsAfter, which cannot meet our goals (resume
// within 30 s of a restart, take over a dead instance's work within 60 s); a
// 15 s lease can, and the same few SQL statements work on SQLite and
// PostgreSQL alike. A crash at any point loses nothing: at worst a page is
// pushed twice, which is harmless because a device only asks what changed.
package push
