package fsutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Kind is a kind of input file. It decides the size limit and how the
// file is named in messages.
type Kind int

// The kinds of file pvaudit reads (CloudTrail input has its own reader in
// package trail).
const (
	// Snapshot is a pvaudit snapshot or `aws iam
	// get-account-authorization-details` output.
	Snapshot Kind = iota + 1
	// Policy is one IAM policy document (simulate --policy, --boundary, --scp).
	Policy
	// Batch is a JSON Lines file of simulate requests.
	Batch
	// Contract is a contract YAML file.
	Contract
	// Suppressions is a suppression YAML file.
	Suppressions
	// Config is pvaudit.yaml.
	Config
	// Baseline is a baseline file (pvaudit baseline save).
	Baseline
	// Key is a PEM key file (Ed25519, for baselines and bundles).
	Key
)

// Size limits per kind. They come from AWS's own limits with headroom, so
// that no legitimate input is refused and memory stays bounded:
//
//   - Snapshot: IAM's account quotas (5,000 roles, 5,000 users, 300 groups,
//     5,000 customer managed policies of 5 versions each) with every
//     document at its cap (trust policy 4,096 characters after a quota
//     increase, inline role policies 10,240 in aggregate, managed policy
//     6,144) come to about 310 MB of compact JSON; real accounts are a few
//     tens of MB. Decoding keeps about three times the file in memory.
//   - Policy: IAM's API takes a PolicyDocument of at most 131,072
//     characters (CreatePolicy, PutRolePolicy …; the 6,144 / 10,240 limits
//     are counted without whitespace); URL-encoded that is at most
//     393,216 bytes. The largest resource policy is a KMS key policy
//     (32 KiB).
//   - Batch: read line by line, so the file has no total limit; one line
//     holds at most MaxBatchLine bytes (a role's policies: up to 20
//     managed and its inline policies, a boundary, SCP levels, each a
//     MaxPolicyBytes document at most, is well under it).
//   - Contract, Suppressions, Config: written by people; the built-in
//     pennsieve contract is 19 KB.
//   - Baseline: the snapshot's content in canonical form (compact, without
//     the volatile facts) plus each role's classification: under the
//     snapshot's limit for any account IAM's quotas allow, with room.
//   - Key: a PEM Ed25519 key is about 120 bytes.
const (
	MaxSnapshotBytes     = 512 << 20
	MaxPolicyBytes       = 512 << 10
	MaxBatchLine         = 8 << 20
	MaxContractBytes     = 1 << 20
	MaxSuppressionsBytes = 4 << 20
	MaxConfigBytes       = 1 << 20
	MaxBaselineBytes     = 1 << 30
	MaxKeyBytes          = 64 << 10
)

// String names the kind in messages ("a snapshot").
func (k Kind) String() string {
	switch k {
	case Snapshot:
		return "a snapshot"
	case Policy:
		return "a policy document"
	case Batch:
		return "a batch file"
	case Contract:
		return "a contract"
	case Suppressions:
		return "a suppression file"
	case Config:
		return "a config file"
	case Baseline:
		return "a baseline"
	case Key:
		return "a key file"
	default:
		return "an input file"
	}
}

// Limit is the largest file of this kind pvaudit reads, in bytes; 0 means
// the file is streamed and has no total limit.
func (k Kind) Limit() int64 {
	switch k {
	case Snapshot:
		return MaxSnapshotBytes
	case Policy:
		return MaxPolicyBytes
	case Batch:
		return 0
	case Contract:
		return MaxContractBytes
	case Suppressions:
		return MaxSuppressionsBytes
	case Config:
		return MaxConfigBytes
	case Baseline:
		return MaxBaselineBytes
	case Key:
		return MaxKeyBytes
	default:
		return MaxPolicyBytes
	}
}

// ErrNotRegular is wrapped when a path names something other than a
// regular file (a named pipe, a device, a socket, a folder).
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is wrapped when a file is over its kind's limit.
var ErrTooLarge = errors.New("file over the size limit")

// Error is a file that cannot be read as an input of its kind. Its message
// starts with the path: "account.json: 3.1 GiB is over the 512 MiB limit
// for a snapshot".
type Error struct {
	Path string
	Kind Kind
	Msg  string
	Err  error // ErrNotRegular, ErrTooLarge or the system's error
}

func (e *Error) Error() string { return e.Path + ": " + e.Msg }

func (e *Error) Unwrap() error { return e.Err }

// Open opens path for reading as an input of kind k without ever blocking:
// the file is opened non-blocking, then checked with fstat, so a named pipe
// with no writer, a terminal or a device is refused at once instead of
// hanging. Anything but a regular file is refused, and so is a regular file
// over the kind's limit. Symlinks are followed (the check is on what they
// point to).
func Open(path string, k Kind) (*os.File, error) {
	f, err := openNonBlocking(path)
	if err != nil {
		// A socket cannot be opened at all (ENXIO); say what it is.
		if st, serr := os.Stat(path); serr == nil && !st.Mode().IsRegular() {
			return nil, notRegular(path, k, st.Mode())
		}
		return nil, &Error{Path: path, Kind: k, Msg: "cannot open: " + unwrapPathErr(err).Error(), Err: err}
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &Error{Path: path, Kind: k, Msg: "cannot stat: " + unwrapPathErr(err).Error(), Err: err}
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, notRegular(path, k, st.Mode())
	}
	if lim := k.Limit(); lim > 0 && st.Size() > lim {
		f.Close()
		return nil, tooLarge(path, k, st.Size())
	}
	if err := clearNonBlocking(f); err != nil {
		f.Close()
		return nil, &Error{Path: path, Kind: k, Msg: "cannot open: " + err.Error(), Err: err}
	}
	return f, nil
}

// ReadFile reads a whole input file of kind k (see Open). The limit holds
// even when the file grows while it is read, and for files whose size
// fstat does not tell (e.g. under /proc). A Batch file, which has no total
// limit because it is meant to be streamed, is read whole only up to
// MaxBatchLine.
func ReadFile(path string, k Kind) ([]byte, error) {
	lim := k.Limit()
	if lim <= 0 {
		lim = MaxBatchLine
	}
	return readFile(path, k, lim)
}

func readFile(path string, k Kind, lim int64) ([]byte, error) {
	f, err := Open(path, k)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	buf := make([]byte, 0, min(size, lim)+512)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		// Never read more than one byte past the limit.
		end := int64(cap(buf))
		if end > lim+1 {
			end = lim + 1
		}
		n, err := f.Read(buf[len(buf):end])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > lim {
			return nil, &Error{Path: path, Kind: k, Err: ErrTooLarge,
				Msg: fmt.Sprintf("more than %s, the limit for %s", HumanSize(lim), k)}
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, &Error{Path: path, Kind: k, Msg: "read: " + unwrapPathErr(err).Error(), Err: err}
		}
	}
}

func notRegular(path string, k Kind, m fs.FileMode) error {
	return &Error{Path: path, Kind: k, Err: ErrNotRegular,
		Msg: fmt.Sprintf("is %s, not a regular file: pvaudit reads %s only from a regular file", describeMode(m), k)}
}

// describeMode names what a non-regular file is.
func describeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m.IsDir():
		return "a folder"
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	default:
		return "not a regular file"
	}
}

func tooLarge(path string, k Kind, size int64) error {
	what := HumanSize(size)
	if size < k.Limit()+k.Limit()/10 { // "512.0 MiB is over 512 MiB" needs the bytes
		what = fmt.Sprintf("%s (%d bytes)", what, size)
	}
	return &Error{Path: path, Kind: k, Err: ErrTooLarge,
		Msg: fmt.Sprintf("%s is over the %s limit for %s", what, HumanSize(k.Limit()), k)}
}

// HumanSize writes a byte count with a binary unit: "512 MiB", "3.1 GiB".
func HumanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n) / unit
	i := 0
	for v >= unit && i < len(units)-1 {
		v /= unit
		i++
	}
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d %s", int64(v), units[i])
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}

// unwrapPathErr drops the *fs.PathError wrapper, whose message repeats the
// path that Error already starts with.
func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
