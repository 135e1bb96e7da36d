-- passes_template held template_rev, so every template fold changed an
-- indexed column of each pass it wrote (and PostgreSQL could not update
-- those rows in place, HOT). Nothing reads the revision through the index
-- any more (a fold and the push pages walk the primary key), so it is keyed
-- by the template alone. SQLite's migration 10 also moves the fold's event
-- counting out of its per-row trigger; PostgreSQL's counting trigger is
-- per statement already (migration 7).

-- +goose Up
DROP INDEX passes_template;
CREATE INDEX passes_template ON passes (template_id) WHERE template_id IS NOT NULL;

-- +goose Down
DROP INDEX passes_template;
CREATE INDEX passes_template ON passes (template_id, template_rev, serial) WHERE template_id IS NOT NULL;
