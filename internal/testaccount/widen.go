package testaccount

import (
	"encoding/json"
	"fmt"
)

// WidenBoundary returns an AWS CLI export in which the default version of
// node's boundary policy (pennsieve-boundary-NODE) is rewritten in place,
// as a hand edit in the console would: its Deny statements dropped and an
// Allow of iam:* added. Drift benchmarks and tests use it.
func WidenBoundary(export []byte, node string) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(export, &doc); err != nil {
		return nil, fmt.Errorf("widen boundary: %w", err)
	}
	var policies []json.RawMessage
	if err := json.Unmarshal(doc["Policies"], &policies); err != nil {
		return nil, fmt.Errorf("widen boundary: Policies: %w", err)
	}
	name := "pennsieve-boundary-" + node
	if err := widen(policies, name); err != nil {
		return nil, err
	}
	b, err := json.Marshal(policies)
	if err != nil {
		return nil, err
	}
	doc["Policies"] = b
	return json.Marshal(doc)
}

// widen rewrites the default version of the named policy in place:
// its Deny statements go and an Allow of iam:* comes, as a hand edit in the
// console would.
func widen(policies []json.RawMessage, name string) error {
	for i, raw := range policies {
		var p map[string]any
		if err := json.Unmarshal(raw, &p); err != nil {
			return err
		}
		if p["PolicyName"] != name {
			continue
		}
		versions, _ := p["PolicyVersionList"].([]any)
		for _, v := range versions {
			ver, _ := v.(map[string]any)
			if ver["IsDefaultVersion"] != true {
				continue
			}
			doc, ok := ver["Document"].(map[string]any)
			if !ok {
				return fmt.Errorf("%s: the default document is not a JSON object", name)
			}
			var keep []any
			stmts, _ := doc["Statement"].([]any)
			for _, st := range stmts {
				if m, _ := st.(map[string]any); m["Effect"] != "Deny" {
					keep = append(keep, st)
				}
			}
			doc["Statement"] = append(keep, map[string]any{"Sid": "Widened", "Effect": "Allow", "Action": "iam:*", "Resource": "*"})
			out, err := json.Marshal(p)
			if err != nil {
				return err
			}
			policies[i] = out
			return nil
		}
		return fmt.Errorf("%s has no default version", name)
	}
	return fmt.Errorf("no policy %s", name)
}
