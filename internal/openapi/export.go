package openapi

import "slices"

// Schemas the document shares with the other faces of the API: the MCP
// tools' input schemas are assembled from these, so a field or parameter has
// one schema wherever a client reads it.

// PassRequestSchema is the JSON Schema (2020-12) of a pass body, as the
// document gives it for POST /api/passes. It is self-contained (no $ref).
func PassRequestSchema() map[string]any { return passRequest() }

// PassPatchSchema is the JSON Schema of a merge patch of a pass body, as the
// document gives it for PATCH /api/passes/{serial}.
func PassPatchSchema() map[string]any { return passPatch() }

// Parameter is the schema of a path or query parameter of a documented
// operation, with the document's description; nil when there is none.
func Parameter(method, path, name string) map[string]any {
	for _, o := range operations {
		if o.method != method || o.path != path {
			continue
		}
		ps := slices.Clone(o.query)
		for _, m := range pathParam.FindAllStringSubmatch(o.path, -1) {
			ps = append(ps, pathParams[m[1]])
		}
		for _, p := range ps {
			if p.name != name {
				continue
			}
			s := obj{"description": p.desc}
			for k, v := range p.schema {
				s[k] = v
			}
			return s
		}
	}
	return nil
}
