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
// node, and, when the export carries pvaudit's runtime section, the node's
// network, compute and logging resources too. Copies are made by
// substituting the identifier in the JSON, so every ARN, ID, policy name
// and resource pattern follows.
func AddNodes(export []byte, node string, n int) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(export, &doc); err != nil {
		return nil, fmt.Errorf("add nodes: %w", err)
	}
	for _, list := range []string{"RoleDetailList", "Policies"} {
		var items []json.RawMessage
		if err := json.Unmarshal(doc[list], &items); err != nil {
			return nil, fmt.Errorf("add nodes: %s: %w", list, err)
		}
		var tmpl []json.RawMessage
		for _, it := range items {
			if bytes.Contains(it, []byte(`"pennsieve-`+node)) || bytes.Contains(it, []byte(`"pennsieve-boundary-`+node+`"`)) {
				tmpl = append(tmpl, it)
			}
		}
		if len(tmpl) == 0 {
			return nil, fmt.Errorf("add nodes: no %s entry of node %s to copy", list, node)
		}
		items = appendCopies(items, tmpl, node, n)
		b, err := json.Marshal(items)
		if err != nil {
			return nil, fmt.Errorf("add nodes: %w", err)
		}
		doc[list] = b
	}
	if raw, ok := doc["runtime"]; ok {
		rt, err := growRuntime(raw, node, n)
		if err != nil {
			return nil, err
		}
		doc["runtime"] = rt
	}
	return json.Marshal(doc)
}

func appendCopies(items, tmpl []json.RawMessage, node string, n int) []json.RawMessage {
	for i := range n {
		id := []byte(NodeID(i))
		for _, it := range tmpl {
			items = append(items, bytes.ReplaceAll(it, []byte(node), id))
		}
	}
	return items
}

// growRuntime copies every runtime list entry that names node.
func growRuntime(raw json.RawMessage, node string, n int) (json.RawMessage, error) {
	var rt struct {
		Regions []map[string]json.RawMessage `json:"regions"`
		S3      *struct {
			Buckets []string `json:"buckets"`
		} `json:"s3,omitempty"`
	}
	if err := json.Unmarshal(raw, &rt); err != nil {
		return nil, fmt.Errorf("add nodes: runtime: %w", err)
	}
	for _, region := range rt.Regions {
		for name, sec := range region {
			if name == "region" {
				continue
			}
			var lists map[string][]json.RawMessage
			if err := json.Unmarshal(sec, &lists); err != nil {
				return nil, fmt.Errorf("add nodes: runtime %s: %w", name, err)
			}
			for k, items := range lists {
				var tmpl []json.RawMessage
				for _, it := range items {
					if bytes.Contains(it, []byte(node)) {
						tmpl = append(tmpl, it)
					}
				}
				lists[k] = appendCopies(items, tmpl, node, n)
			}
			b, err := json.Marshal(lists)
			if err != nil {
				return nil, fmt.Errorf("add nodes: %w", err)
			}
			region[name] = b
		}
	}
	if rt.S3 != nil {
		base := append([]string(nil), rt.S3.Buckets...)
		for i := range n {
			for _, b := range base {
				if bytes.Contains([]byte(b), []byte(node)) {
					rt.S3.Buckets = append(rt.S3.Buckets, string(bytes.ReplaceAll([]byte(b), []byte(node), []byte(NodeID(i)))))
				}
			}
		}
	}
	return json.Marshal(rt)
}
