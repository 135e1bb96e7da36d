package rules

import "github.com/walletwallet/walletwallet"

// The client errors the Store interface promises, one constructor each, so
// both backends say the same thing in the same words.

// PassNotFound is the ENOTFOUND of a pass lookup.
func PassNotFound(serial string) error {
	return walletwallet.Errorf(walletwallet.ENOTFOUND, "pass %q not found", serial)
}

// NotRegistered is the ENOTFOUND of Unregister.
func NotRegistered(deviceID, serial string) error {
	return walletwallet.Errorf(walletwallet.ENOTFOUND, "device %q is not registered for pass %q", deviceID, serial)
}

// AssetNotFound is the ENOTFOUND of an asset lookup.
func AssetNotFound(key string) error {
	return walletwallet.Errorf(walletwallet.ENOTFOUND, "asset %q not found", key)
}

// PassExists is the ECONFLICT of a CreatePass whose serial is taken.
func PassExists(serial string) error {
	return walletwallet.Errorf(walletwallet.ECONFLICT, "pass %q already exists", serial)
}

// NotOwner is the EFORBIDDEN of an update by another account.
func NotOwner(serial string) error {
	return walletwallet.Errorf(walletwallet.EFORBIDDEN, "pass %q belongs to another API key", serial)
}

// Stale is the ECONFLICT of an update whose PrevHash is no longer stored.
func Stale(serial string) error {
	return walletwallet.Errorf(walletwallet.ECONFLICT, "pass %q changed concurrently; retry", serial)
}

// QuotaReached is the EQUOTA of a counted write at the limit.
func QuotaReached(q walletwallet.Quota) error {
	return walletwallet.Errorf(walletwallet.EQUOTA, "monthly limit of %d passes reached for %s", q.Limit, q.Month)
}

// AccountNotFound is the ENOTFOUND of an account lookup.
func AccountNotFound(id int64) error {
	return walletwallet.Errorf(walletwallet.ENOTFOUND, "account %d not found", id)
}

// KeyNotFound is the ENOTFOUND of an API key lookup (unknown or revoked).
func KeyNotFound() error { return walletwallet.Errorf(walletwallet.ENOTFOUND, "API key not found") }

// KeyExists is the ECONFLICT of a CreateKey whose hash is taken.
func KeyExists() error {
	return walletwallet.Errorf(walletwallet.ECONFLICT, "a key with this hash already exists")
}

// IdempotencyTakenOver is the ECONFLICT of a create whose Idempotency-Key
// claim another request took over meanwhile.
func IdempotencyTakenOver() error {
	return walletwallet.Errorf(walletwallet.ECONFLICT, "the Idempotency-Key was taken over by another request")
}

// ShareNotFound is the ENOTFOUND of a share-id lookup.
func ShareNotFound() error {
	return walletwallet.Errorf(walletwallet.ENOTFOUND, "no pass with this share id")
}

// EmailTaken is the ECONFLICT of a signup whose e-mail has an account.
func EmailTaken() error {
	return walletwallet.Errorf(walletwallet.ECONFLICT, "an account with this e-mail already exists")
}

// NotLeased is the ECONFLICT of a job operation by an owner that lost the lease.
func NotLeased(jobID int64, owner string) error {
	return walletwallet.Errorf(walletwallet.ECONFLICT, "job %d is not leased to %s", jobID, owner)
}

// WebhookNotFound is the ENOTFOUND of DeleteWebhook.
func WebhookNotFound(id string) error {
	return walletwallet.Errorf(walletwallet.ENOTFOUND, "webhook %q not found", id)
}

// WebhookNotOwner is the EFORBIDDEN of DeleteWebhook by another account.
func WebhookNotOwner(id string) error {
	return walletwallet.Errorf(walletwallet.EFORBIDDEN, "webhook %q belongs to another account", id)
}
