package pkpass

import "testing"

// Every semantic tag's type, every named row and every field object member
// has a schema, so the published description covers all the validator checks.
func TestEverySemanticTypeHasASchema(t *testing.T) {
	for tag, ty := range semanticTags {
		if semTypeSchema(ty) == nil {
			t.Errorf("semantic tag %s: type %d has no schema (schema.go, semTypeSchema)", tag, ty)
		}
	}
	for _, f := range requestFields {
		if f.name != "" && (f.schema == nil || f.schema() == nil) {
			t.Errorf("field %s has no schema", f.name)
		}
	}
	for _, k := range fieldKeys {
		if fieldKeySchema(k.name, true) == nil {
			t.Errorf("field object member %s has no schema", k.name)
		}
	}
}
