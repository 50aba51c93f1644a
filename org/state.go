package org

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pvaudit/pvaudit/internal/fsutil"
	"github.com/pvaudit/pvaudit/internal/strictjson"
)

// StateSchema versions the state file.
const StateSchema = "pvaudit.org-state/v1"

// State is an organisation run's progress: the state file (--resume FILE)
// lists every finished account; each account's result is a file in the
// folder FILE.d beside it, written once, so the state file stays small.
// Both are written atomically: an interrupted run leaves the last account
// recorded whole or not at all. An account that ended in error is not
// finished: a resumed run tries it again.
type State struct {
	path string
	mu   sync.Mutex
	doc  stateDoc
}

type stateDoc struct {
	Schema string `json:"schema"`
	// Run identifies what the state is for (pipeline, contract, audit
	// role, accounts, options): a state file of another run is refused.
	Run       string            `json:"run"`
	StartedAt time.Time         `json:"started_at"`
	Finished  map[string]string `json:"finished"` // account → result file (relative)
}

// RunKey identifies a run for its state file from what decides its
// results.
func RunKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// OpenState opens or creates the state file of a run. An existing file of
// another run (a different key) is refused rather than mixed.
func OpenState(path, runKey string, now time.Time) (*State, error) {
	s := &State{path: path, doc: stateDoc{Schema: StateSchema, Run: runKey, StartedAt: now.UTC().Truncate(time.Second), Finished: map[string]string{}}}
	b, err := fsutil.ReadFile(path, fsutil.Config)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return s, s.save()
	case err != nil:
		return nil, fmt.Errorf("--resume: %w", err)
	}
	var doc stateDoc
	if err := decode(b, &doc); err != nil {
		return nil, fmt.Errorf("--resume %s: %w", path, err)
	}
	if doc.Schema != StateSchema {
		return nil, fmt.Errorf("--resume %s: schema %q, want %s", path, doc.Schema, StateSchema)
	}
	if doc.Run != runKey {
		return nil, fmt.Errorf("--resume %s: the state belongs to another run (other pipeline, contract, audit role, accounts or options); use a new state file", path)
	}
	if doc.Finished == nil {
		doc.Finished = map[string]string{}
	}
	s.doc = doc
	return s, nil
}

// Finished lists the accounts a previous run finished, sorted.
func (s *State) Finished() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.doc.Finished))
	for id := range s.doc.Finished {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

func (s *State) dir() string { return s.path + ".d" }

// finished returns an account's recorded result.
func (s *State) finished(id string) (*result, bool, error) {
	s.mu.Lock()
	name, ok := s.doc.Finished[id]
	s.mu.Unlock()
	if !ok {
		return nil, false, nil
	}
	if strings.ContainsAny(name, `/\`) || name != id+".json" {
		return nil, false, fmt.Errorf("--resume %s: account %s names result file %q", s.path, id, name)
	}
	b, err := fsutil.ReadFile(filepath.Join(s.dir(), name), fsutil.Snapshot)
	if err != nil {
		return nil, false, fmt.Errorf("--resume: account %s: %w", id, err)
	}
	var r result
	if err := decode(b, &r); err != nil {
		return nil, false, fmt.Errorf("--resume: account %s: %w", id, err)
	}
	if r.Row.ID != id {
		return nil, false, fmt.Errorf("--resume: result file of account %s holds account %s", id, r.Row.ID)
	}
	return &r, true, nil
}

// record writes a finished account's result, then the state file. An
// error row is not recorded: a resumed run tries the account again.
func (s *State) record(r *result) error {
	if r.Row.Outcome == "error" {
		return nil
	}
	if err := os.MkdirAll(s.dir(), 0o755); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	name := r.Row.ID + ".json"
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(s.dir(), name), 0o600, func(w io.Writer) error { _, err := w.Write(b.Bytes()); return err }); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.doc.Finished[r.Row.ID] = name
	return s.save()
}

// save writes the state file atomically (the caller holds mu or owns s).
func (s *State) save() error {
	b, err := json.MarshalIndent(s.doc, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if err := fsutil.WriteFileAtomic(s.path, 0o600, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	return nil
}

// decode checks b (duplicate keys refused at every depth) and decodes it,
// refusing unknown fields.
func decode(b []byte, v any) error {
	if _, err := strictjson.Parse(b, strictjson.Options{}); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
