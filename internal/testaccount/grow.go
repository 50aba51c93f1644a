package testaccount

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// NodeID is the identifier AddNodes gives its i-th copy (10000000, 10000001 …).
func NodeID(i int) string { return fmt.Sprintf("%08x", 0x10000000+i) }

// AddNodes returns an AWS CLI export (get-account-authorization-details)
// with n more compute nodes: the roles and boundary policy of node copied
// under NodeID(0) … NodeID(n-1), the way the provider provisions one more
// node. Copies are made by substituting the identifier in the JSON, so
// every ARN, policy name and resource pattern follows.
func AddNodes(export []byte, node string, n int) ([]byte, error) {
	var doc map[string][]json.RawMessage
	if err := json.Unmarshal(export, &doc); err != nil {
		return nil, fmt.Errorf("add nodes: %w", err)
	}
	for _, list := range []string{"RoleDetailList", "Policies"} {
		var tmpl []json.RawMessage
		for _, it := range doc[list] {
			if bytes.Contains(it, []byte(`"pennsieve-`+node)) || bytes.Contains(it, []byte(`"pennsieve-boundary-`+node+`"`)) {
				tmpl = append(tmpl, it)
			}
		}
		if len(tmpl) == 0 {
			return nil, fmt.Errorf("add nodes: no %s entry of node %s to copy", list, node)
		}
		for i := range n {
			id := []byte(NodeID(i))
			for _, it := range tmpl {
				doc[list] = append(doc[list], bytes.ReplaceAll(it, []byte(node), id))
			}
		}
	}
	return json.Marshal(doc)
}
