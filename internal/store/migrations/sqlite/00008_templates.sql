-- Templates: a design with {{placeholder}} markers that many passes are
-- made from. A template pass keeps its own values and the revision of the
-- design its current version was rendered from; its request column holds
-- its body as of its own last write (the current body is always rendered
-- from the template). Deleted templates stay (deleted_at) so their voided
-- passes still render. Events name the template of a template pass.

-- +goose Up
CREATE TABLE templates (
    id         TEXT    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    design     BLOB    NOT NULL,
    defaults   BLOB    NOT NULL,
    rev        INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER
) WITHOUT ROWID;
CREATE INDEX templates_account ON templates (account_id, created_at);

ALTER TABLE passes ADD COLUMN template_id TEXT;
ALTER TABLE passes ADD COLUMN template_rev INTEGER NOT NULL DEFAULT 0;
ALTER TABLE passes ADD COLUMN template_values BLOB;
-- A template update reads the template's passes; its fan-out pages
-- through those of one revision in serial order.
CREATE INDEX passes_template ON passes (template_id, template_rev, serial) WHERE template_id IS NOT NULL;

ALTER TABLE events ADD COLUMN template_id TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE events DROP COLUMN template_id;
DROP INDEX passes_template;
ALTER TABLE passes DROP COLUMN template_values;
ALTER TABLE passes DROP COLUMN template_rev;
ALTER TABLE passes DROP COLUMN template_id;
DROP TABLE templates;
