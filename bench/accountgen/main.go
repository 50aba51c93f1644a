// Command accountgen writes a large account for scan benchmarks: an AWS CLI
// export (get-account-authorization-details) with one compute node's roles
// and boundary policy copied under new node identifiers, plus unrelated
// customer roles.
//
//	go run ./bench/accountgen -from testdata/accounts/compliant.json -nodes 300 -other-roles 1500 -o bench/out/large.json
//	go run ./bench/accountgen -nodes 900 -other-roles 484 -widen-boundary 10000000 -o bench/out/drift-5000-changed.json
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pvaudit/pvaudit/internal/fsutil"
	"github.com/pvaudit/pvaudit/internal/testaccount"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "accountgen:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("accountgen", flag.ContinueOnError)
	from := fs.String("from", "testdata/accounts/compliant.json", "AWS CLI export to grow")
	node := fs.String("node", "7f3a9c21", "compute node whose roles and boundary are copied")
	nodes := fs.Int("nodes", 100, "compute nodes to add")
	otherRole := fs.String("other-role", "github-actions-deploy", "customer role copied for -other-roles")
	others := fs.Int("other-roles", 0, "unrelated customer roles to add")
	widen := fs.String("widen-boundary", "", "node whose boundary policy's default document is widened: the Deny statements dropped, iam:* allowed (drift benchmarks)")
	out := fs.String("o", "", "output file (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-o is required")
	}
	raw, err := os.ReadFile(*from)
	if err != nil {
		return err
	}
	raw, err = testaccount.AddNodes(raw, *node, *nodes)
	if err != nil {
		return fmt.Errorf("%s: %w", *from, err)
	}
	if *others > 0 {
		if raw, err = addOthers(raw, *otherRole, *others); err != nil {
			return fmt.Errorf("%s: %w", *from, err)
		}
	}
	b := raw
	if *widen != "" {
		if b, err = testaccount.WidenBoundary(b, *widen); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(*out, 0o644, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// addOthers copies the customer role named tmplName n times as
// app-role-00000 … The other sections (the runtime object included) are
// kept as they are.
func addOthers(raw []byte, tmplName string, n int) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	var roles []json.RawMessage
	if err := json.Unmarshal(doc["RoleDetailList"], &roles); err != nil {
		return nil, fmt.Errorf("RoleDetailList: %w", err)
	}
	var tmpl json.RawMessage
	for _, it := range roles {
		if bytes.Contains(it, []byte(`"RoleName": "`+tmplName+`"`)) || bytes.Contains(it, []byte(`"RoleName":"`+tmplName+`"`)) {
			tmpl = it
		}
	}
	if tmpl == nil {
		return nil, fmt.Errorf("no role %s", tmplName)
	}
	for i := range n {
		roles = append(roles, bytes.ReplaceAll(tmpl, []byte(tmplName), []byte(fmt.Sprintf("app-role-%05d", i))))
	}
	b, err := json.Marshal(roles)
	if err != nil {
		return nil, err
	}
	doc["RoleDetailList"] = b
	return json.Marshal(doc)
}
