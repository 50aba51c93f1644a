package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/pvaudit/pvaudit/baseline"
	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/internal/fsutil"
	"github.com/pvaudit/pvaudit/internal/signing"
)

// ErrBaselineExists is returned by SaveBaseline when the file exists and
// Force is not set.
var ErrBaselineExists = errors.New("baseline file exists")

// ReadSignKey and ReadVerifyKey read PEM Ed25519 keys (PKCS#8 private,
// PKIX public), as `pvaudit baseline keygen` and openssl write them.
func ReadSignKey(path string) (ed25519.PrivateKey, error) {
	data, err := fsutil.ReadFile(path, fsutil.Key)
	if err != nil {
		return nil, err
	}
	k, err := signing.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// ReadVerifyKey reads a PEM PKIX Ed25519 public key.
func ReadVerifyKey(path string) (ed25519.PublicKey, error) {
	data, err := fsutil.ReadFile(path, fsutil.Key)
	if err != nil {
		return nil, err
	}
	k, err := signing.ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// ReadBaseline reads and checks a baseline file (see baseline.Decode): a
// modified file, a bad signature, or an unsigned file when a verify key is
// given are errors. The file is read as an input of its kind (see
// fsutil.Open: a FIFO, device or folder is refused at once, and so is a
// file over fsutil.MaxBaselineBytes). It returns the file's bytes too.
func ReadBaseline(path string, verify ed25519.PublicKey) (*baseline.Baseline, baseline.Integrity, []byte, error) {
	data, err := fsutil.ReadFile(path, fsutil.Baseline)
	if err != nil {
		return nil, baseline.Integrity{}, nil, fmt.Errorf("baseline: %w", err)
	}
	b, integ, err := baseline.Decode(data, path, verify)
	if err != nil {
		return nil, baseline.Integrity{}, nil, err
	}
	return b, integ, data, nil
}

// stateOf classifies a snapshot with the run's contract and builds its
// drift state.
// Classification runs while the documents are canonicalized.
func (r *Run) stateOf(src Source) (*baseline.State, error) {
	var cls *classify.Result
	var wg sync.WaitGroup
	wg.Go(func() { cls = classify.Classify(src.Snapshot, r.contract(), classify.Options{}) })
	st, err := baseline.FromSnapshot(src.Snapshot, nil)
	wg.Wait()
	if err != nil {
		return nil, fmt.Errorf("account state: %w", err)
	}
	st.Classify(cls)
	return st, nil
}

// contractRef names the run's contract and the hash of its source.
func (r *Run) contractRef() baseline.ContractRef {
	if r.Config == nil || r.Config.Contract == nil {
		return baseline.ContractRef{}
	}
	return baseline.ContractRef{Name: r.Config.Contract.Name, Source: r.Config.ContractSource, SHA256: r.Config.ContractSHA256}
}

func (r *Run) params() baseline.Parameters {
	if r.Config == nil || r.Config.Contract == nil {
		return baseline.Parameters{}
	}
	return baseline.ParametersOf(r.Config.Contract.Parameters)
}

// newBaseline wraps a state with what it was approved against.
func (r *Run) newBaseline(src Source, st *baseline.State) *baseline.Baseline {
	b := &baseline.Baseline{Tool: r.toolName(), Version: r.Version, Command: r.Command, SavedAt: r.now().UTC().Truncate(0),
		Contract: r.contractRef(), Parameters: r.params(), Complete: st.Complete(), State: *st}
	b.Capture.Input = src.Input
	if src.Raw != nil {
		h := sha256.Sum256(src.Raw)
		b.Capture.InputSHA256 = hex.EncodeToString(h[:])
	}
	return b
}

func (r *Run) toolName() string {
	if r.Tool == "" {
		return "pvaudit"
	}
	return r.Tool
}

// SaveInput is what `pvaudit baseline save` writes.
type SaveInput struct {
	Source Source
	// File is the baseline file; it is replaced only with Force.
	File  string
	Force bool
	// SignKey, when set, signs the baseline.
	SignKey ed25519.PrivateKey
}

// SaveResult says what was written.
type SaveResult struct {
	File      string
	Integrity baseline.Integrity
	Baseline  *baseline.Baseline
	// PrevFile is where the replaced baseline was kept (update only).
	PrevFile string
	// Accepted are the items an update accepted.
	Accepted []baseline.Accepted
}

// SaveBaseline writes the approved state of the source's account: the
// canonical state, the contract and its hash, the parameters, the
// classification, capture metadata and the content hash (signed with a
// key). The file is written atomically and not replaced without Force. A
// snapshot with gaps is saved, marked incomplete: drift against the parts
// it misses will be NOT_EVALUATED.
func SaveBaseline(_ context.Context, r *Run, in SaveInput) (*SaveResult, error) {
	if !in.Force {
		if _, err := os.Lstat(in.File); err == nil {
			return nil, fmt.Errorf("%s: %w; pass --force to replace it, or use `pvaudit baseline update`, which keeps the previous one", in.File, ErrBaselineExists)
		}
	}
	st, err := r.stateOf(in.Source)
	if err != nil {
		return nil, err
	}
	b := r.newBaseline(in.Source, st)
	data, integ, err := baseline.Encode(b, in.SignKey)
	if err != nil {
		return nil, err
	}
	if err := writeFile(in.File, data); err != nil {
		return nil, err
	}
	if !b.Complete {
		r.log().Warn("the baseline is incomplete: drift against what the snapshot could not read will be NOT_EVALUATED", "gaps", len(st.Gaps))
	}
	return &SaveResult{File: in.File, Integrity: integ, Baseline: b}, nil
}

func writeFile(path string, data []byte) error {
	return fsutil.WriteFileAtomic(path, 0o644, func(w io.Writer) error { _, err := w.Write(data); return err })
}

// UpdateInput is what `pvaudit baseline update` accepts.
type UpdateInput struct {
	Source Source
	File   string
	// Accept lists rule IDs (DRIFT-004: every item of the rule) or item
	// fingerprints; empty accepts the whole current state.
	Accept    []string
	SignKey   ed25519.PrivateKey
	VerifyKey ed25519.PublicKey
}

// UpdateBaseline writes a new approved state into File and keeps the
// previous file as File.prev (both written atomically, .prev first). With
// Accept only the named drift items are taken from the current state; the
// rest stays as approved. An item that was not evaluated cannot be
// accepted, and an Accept entry that matches no item is an error.
func UpdateBaseline(_ context.Context, r *Run, in UpdateInput) (*SaveResult, error) {
	old, integ, raw, err := ReadBaseline(in.File, in.VerifyKey)
	if err != nil {
		return nil, err
	}
	if integ.KeyID != "" && in.SignKey == nil {
		return nil, fmt.Errorf("%s is signed (key %s): pass --sign-key to sign the new baseline too, or an unsigned file would replace a signed one", in.File, integ.KeyID)
	}
	if integ.Signature == "not verified" {
		r.log().Warn("the baseline is signed, but no --verify-key was given: its signature was not checked before it is carried forward", "key_id", integ.KeyID)
	}
	if in.Source.Snapshot.AccountID != old.State.AccountID {
		return nil, fmt.Errorf("the baseline is of account %s, the source is account %s", old.State.AccountID, in.Source.Snapshot.AccountID)
	}
	cur, err := r.stateOf(in.Source)
	if err != nil {
		return nil, err
	}
	items, err := baseline.Diff(&old.State, cur, r.diffOptions(old))
	if err != nil {
		return nil, err
	}
	b := r.newBaseline(in.Source, cur)
	b.Previous = integ.ContentSHA256
	var chosen []baseline.Item
	if len(in.Accept) == 0 {
		for _, it := range items {
			if it.Acceptable() || it.Rule == baseline.RuleContract {
				chosen = append(chosen, it)
			}
		}
	} else {
		if chosen, err = selectItems(items, in.Accept); err != nil {
			return nil, err
		}
		b.State = *baseline.Apply(&old.State, cur, chosen)
		b.Complete, b.Capture = old.Complete, old.Capture
		if !acceptsRule(chosen, baseline.RuleContract) {
			b.Contract, b.Parameters = old.Contract, old.Parameters
		}
	}
	for i := range chosen {
		it := &chosen[i]
		b.Accepted = append(b.Accepted, baseline.Accepted{Rule: it.Rule, Fingerprint: it.Fingerprint(), Resource: it.Resource, Key: it.Key, Summary: it.Summary})
	}
	data, newInteg, err := baseline.Encode(b, in.SignKey)
	if err != nil {
		return nil, err
	}
	prev := in.File + ".prev"
	if err := writeFile(prev, raw); err != nil {
		return nil, fmt.Errorf("keep the previous baseline: %w", err)
	}
	if err := writeFile(in.File, data); err != nil {
		return nil, err
	}
	return &SaveResult{File: in.File, Integrity: newInteg, Baseline: b, PrevFile: prev, Accepted: b.Accepted}, nil
}

// selectItems resolves --accept: rule IDs and fingerprints.
func selectItems(items []baseline.Item, accept []string) ([]baseline.Item, error) {
	var out []baseline.Item
	for _, a := range accept {
		a = strings.TrimSpace(a)
		matched := 0
		for _, it := range items {
			if !strings.EqualFold(it.Rule, a) && it.Fingerprint() != strings.ToLower(a) {
				continue
			}
			matched++
			if it.Status == finding.NotEvaluated {
				return nil, fmt.Errorf("--accept %s: %s on %s was not evaluated (%s); what was not evaluated cannot be accepted", a, it.Rule, it.Resource, it.Reason)
			}
			if !it.Acceptable() && it.Rule != baseline.RuleContract {
				return nil, fmt.Errorf("--accept %s: %s on %s cannot be accepted", a, it.Rule, it.Resource)
			}
			out = append(out, it)
		}
		if matched == 0 {
			return nil, fmt.Errorf("--accept %s: no drift item has this rule ID or fingerprint (see `pvaudit drift`)", a)
		}
	}
	return out, nil
}

func acceptsRule(items []baseline.Item, rule string) bool {
	for _, it := range items {
		if it.Rule == rule {
			return true
		}
	}
	return false
}

// diffOptions compares against the run's contract.
func (r *Run) diffOptions(old *baseline.Baseline) baseline.Options {
	return baseline.Options{Contract: r.contract(), BaseContract: old.Contract, BaseParams: old.Parameters,
		CurContract: r.contractRef(), CurParams: r.params()}
}
