package trail

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
)

// Digest verification follows CloudTrail's log file integrity validation
// (AWS CloudTrail User Guide, "CloudTrail digest file structure" and
// "Custom implementations of CloudTrail log file integrity validation"):
//
//   - a digest file lists the log files delivered in its hour with the
//     SHA-256 of each one's uncompressed content;
//   - it records the SHA-256 of the previous digest's uncompressed content
//     and that digest's signature, so digests form a chain;
//   - its own signature is RSA PKCS#1 v1.5 over the SHA-256 of the string
//     digestEndTime "\n" digestS3Bucket "/" digestS3Object "\n"
//     hex(SHA-256(uncompressed digest)) "\n" previousDigestSignature (the
//     text "null" in a chain's starting digest), by the region's key named
//     by digestPublicKeyFingerprint. S3 keeps it in the object's
//     x-amz-meta-signature metadata, which a copy loses: it is read from
//     the next digest of the chain, from Options.DigestSignatures, or from
//     a "<digest>.sig" file beside the digest.
//
// A digest is verified when its signature verifies, or when the next
// digest is verified and records its hash. A log file is verified when a
// verified digest lists it with its hash.

// DigestStats counts what digest verification read and found.
type DigestStats struct {
	Digests            int `json:"digests"`              // digest files read
	DigestsVerified    int `json:"digests_verified"`     // by signature or by the next digest's hash
	Chains             int `json:"chains"`               // account, region and trail
	Keys               int `json:"keys"`                 // public keys given
	LogFilesListed     int `json:"log_files_listed"`     // listed in the digests, in the window
	LogFilesVerified   int `json:"log_files_verified"`   // read, and listed with their hash by a verified digest
	LogFilesUnverified int `json:"log_files_unverified"` // read, and no verified digest vouches for them
	Altered            int `json:"altered"`
	Missing            int `json:"missing"`
	Unlisted           int `json:"unlisted"`
}

// digestReport is the outcome of digest verification.
type digestReport struct {
	stats    DigestStats
	findings []finding.Finding
	gaps     []Gap
}

// digestFile is a digest's JSON.
type digestFile struct {
	AWSAccountID                string          `json:"awsAccountId"`
	DigestStartTime             string          `json:"digestStartTime"`
	DigestEndTime               string          `json:"digestEndTime"`
	DigestS3Bucket              string          `json:"digestS3Bucket"`
	DigestS3Object              string          `json:"digestS3Object"`
	DigestPublicKeyFingerprint  string          `json:"digestPublicKeyFingerprint"`
	DigestSignatureAlgorithm    string          `json:"digestSignatureAlgorithm"`
	PreviousDigestS3Bucket      *string         `json:"previousDigestS3Bucket"`
	PreviousDigestS3Object      *string         `json:"previousDigestS3Object"`
	PreviousDigestHashValue     *string         `json:"previousDigestHashValue"`
	PreviousDigestHashAlgorithm *string         `json:"previousDigestHashAlgorithm"`
	PreviousDigestSignature     json.RawMessage `json:"previousDigestSignature"`
	LogFiles                    []digestLogFile `json:"logFiles"`
}

type digestLogFile struct {
	S3Bucket      string `json:"s3Bucket"`
	S3Object      string `json:"s3Object"`
	HashValue     string `json:"hashValue"`
	HashAlgorithm string `json:"hashAlgorithm"`
}

// digest is a digest file read from the copy and what was found about it.
type digest struct {
	path     string
	file     digestFile
	sum      string // hex SHA-256 of the uncompressed content
	key      string // object key from AWSLogs/
	chain    string
	backfill bool
	start    time.Time
	end      time.Time
	prevSig  string // previousDigestSignature; "null" for a starting digest
	prevKey  string // object key of the previous digest, "" for a starting digest
	next     *digest
	prev     *digest
	sig      string // this digest's signature, when known
	sigFrom  string // where the signature came from
	// verified: by signature, or by the next digest's hash.
	verified bool
	// why the digest is not verified.
	why string
}

// digestIssue is one failed check, for a TRAIL-013 finding or gap.
type digestIssue struct {
	kind string
	what string
}

// Kinds of digest verification failures (TRAIL-013 FAIL findings).
const (
	issueAltered    = "altered-log-files"
	issueMissing    = "missing-log-files"
	issueUnlisted   = "unlisted-log-files"
	issueChain      = "broken-digest-chain"
	issueSignature  = "bad-digest-signature"
	issueMoved      = "moved-digest"
	issueUnreadable = "unreadable-digest"
)

var issueText = map[string]string{
	issueAltered:    "log file(s) differ from the SHA-256 their digest lists (altered after delivery)",
	issueMissing:    "log file(s) listed in a digest are missing from the copy (deleted, or not copied)",
	issueUnlisted:   "log file(s) were delivered in a period the digests cover but no digest lists them (injected, or written by another trail)",
	issueChain:      "break(s) in the digest chain (a digest deleted or altered)",
	issueSignature:  "digest signature(s) do not verify with the key the digest names (forged or altered digest)",
	issueMoved:      "digest file(s) are not where they say they were delivered",
	issueUnreadable: "digest file(s) could not be read as digests (damaged or forged)",
}

// logTolerance is how close to the edge of the digests' covered period a
// log file's delivery time may be and still be unlisted without being
// suspect: CloudTrail lists a file in the digest of the hour it was
// delivered, a little after the time in its name.
const logTolerance = 15 * time.Minute

// verifyDigests checks the walked folder's log files against its digests;
// inputs are the files the replay read.
func (c *Collection) verifyDigests(ctx context.Context, inputs []Input, opts Options) error {
	c.mu.Lock()
	w := c.walk
	since, until := c.since, c.until
	hashes := make(map[string]fileHash, len(c.hashes))
	for k, v := range c.hashes {
		hashes[k] = v
	}
	c.mu.Unlock()
	v := &verifier{root: w.Root, keys: map[string]PublicKey{}, sigs: opts.DigestSignatures, since: since, until: until,
		hashes: hashes, byKey: map[string]string{}, byBase: map[string][]string{}, listed: map[string]bool{}, verifiedLog: map[string]bool{},
		unverifiedWhy: map[string]string{}}
	for _, k := range opts.DigestKeys {
		v.keys[strings.ToLower(k.Fingerprint)] = k
	}
	v.report.stats.Keys = len(v.keys)
	if err := v.run(ctx, w, inputs); err != nil {
		return err
	}
	c.mu.Lock()
	c.digest = &v.report
	for _, d := range v.digests {
		if d.verified && !d.start.IsZero() && !d.end.IsZero() {
			c.cov.other = append(c.cov.other, span{lo: d.start, hi: d.end})
		}
	}
	c.mu.Unlock()
	return nil
}

type verifier struct {
	root         string
	keys         map[string]PublicKey
	sigs         map[string]string
	since, until time.Time
	hashes       map[string]fileHash
	// local log files by object key (from AWSLogs/), and by base name for
	// copies whose path has no AWSLogs folder.
	byKey  map[string]string
	byBase map[string][]string
	// digests by object key.
	digests []*digest
	dByKey  map[string]*digest
	// log files listed (by local path), verified, and why not.
	listed        map[string]bool
	verifiedLog   map[string]bool
	unverifiedWhy map[string]string
	issues        []digestIssue
	report        digestReport
	missingKeys   map[string]bool
	unsigned      map[string]bool
}

func (v *verifier) issue(kind, what string) {
	v.issues = append(v.issues, digestIssue{kind: kind, what: what})
}

func (v *verifier) run(ctx context.Context, w WalkStats, inputs []Input) error {
	for _, in := range inputs {
		v.index(in.Name)
	}
	if w.Root == "" {
		v.report.gaps = append(v.report.gaps, Gap{Check: CheckDigest, Reason: GapNoDigests,
			Message: "digest verification needs the copy of the trail's S3 prefix (--dir): no folder was walked"})
		v.unverifiedInputs(inputs, "no folder with digests was walked")
		v.finish()
		return nil
	}
	if len(w.digests) == 0 {
		v.report.gaps = append(v.report.gaps, Gap{Check: CheckDigest, Reason: GapNoDigests, Where: []string{w.Root},
			Message: fmt.Sprintf("no digest files under %s (is log file validation enabled on the trail? copy the CloudTrail-Digest/ folders too)", w.Root)})
		v.unverifiedInputs(inputs, "no digest file in the copy")
		v.finish()
		return nil
	}
	v.dByKey = map[string]*digest{}
	paths := append([]string(nil), w.digests...)
	sort.Strings(paths)
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !digestInWindow(v.root, p, v.since, v.until) {
			continue
		}
		d, err := readDigest(p)
		if err != nil {
			v.issue(issueUnreadable, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		if local, ok := objectKey(absSlash(p)); ok && local != d.key {
			v.issue(issueMoved, fmt.Sprintf("%s says it was delivered to %s", p, d.file.DigestS3Object))
			continue
		}
		if old := v.dByKey[d.key]; old != nil {
			v.issue(issueMoved, fmt.Sprintf("%s and %s both say they are %s", old.path, p, d.file.DigestS3Object))
			continue
		}
		if sp, ok := w.sigs[p]; ok {
			if b, err := os.ReadFile(sp); err == nil {
				d.sig, d.sigFrom = strings.TrimSpace(string(b)), sp
			}
		}
		for _, k := range []string{d.file.DigestS3Object, d.key, p} {
			if s, ok := v.sigs[k]; ok && d.sig == "" {
				d.sig, d.sigFrom = strings.TrimSpace(s), "the given signature of "+d.file.DigestS3Object
			}
		}
		v.digests = append(v.digests, d)
		v.dByKey[d.key] = d
	}
	v.report.stats.Digests = len(v.digests)
	v.chain()
	v.authenticate()
	v.checkLogs(inputs)
	v.finish()
	return nil
}

// index records a log file the replay read under its object key.
func (v *verifier) index(name string) {
	abs := absSlash(name)
	if k, ok := objectKey(abs); ok {
		v.byKey[k] = name
		return
	}
	base := filepath.Base(name)
	v.byBase[base] = append(v.byBase[base], name)
}

// locate finds the local copy of the object key k among the files read.
func (v *verifier) locate(k string) (string, bool) {
	if p, ok := v.byKey[k]; ok {
		return p, true
	}
	base := k[strings.LastIndexByte(k, '/')+1:]
	for _, p := range v.byBase[base] {
		rel := absSlash(p)
		if v.root != "" {
			if r, err := filepath.Rel(v.root, p); err == nil {
				rel = filepath.ToSlash(r)
			}
		}
		if strings.HasSuffix(k, "/"+rel) || k == rel {
			return p, true
		}
	}
	return "", false
}

// readDigest reads and parses one digest file.
func readDigest(path string) (*digest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if compression(b) == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, errors.New(gzipError(err))
		}
		u, err := io.ReadAll(zr)
		if err != nil {
			return nil, errors.New(gzipError(err))
		}
		b = u
	}
	sum := sha256.Sum256(b)
	d := &digest{path: path, sum: hex.EncodeToString(sum[:])}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&d.file); err != nil {
		return nil, fmt.Errorf("not a digest: %w", err)
	}
	f := &d.file
	if f.DigestS3Object == "" || f.DigestS3Bucket == "" || f.DigestEndTime == "" || f.DigestPublicKeyFingerprint == "" || f.PreviousDigestSignature == nil {
		return nil, errors.New("not a digest: digestS3Object, digestS3Bucket, digestEndTime, digestPublicKeyFingerprint or previousDigestSignature is missing")
	}
	if d.end, err = time.Parse(time.RFC3339, f.DigestEndTime); err != nil {
		return nil, fmt.Errorf("digestEndTime: %w", err)
	}
	if f.DigestStartTime != "" {
		if d.start, err = time.Parse(time.RFC3339, f.DigestStartTime); err != nil {
			return nil, fmt.Errorf("digestStartTime: %w", err)
		}
	}
	d.key, _ = objectKey(f.DigestS3Object)
	d.chain, d.backfill = digestChain(f.DigestS3Object)
	d.prevSig = "null"
	if s := bytes.TrimSpace(f.PreviousDigestSignature); !bytes.Equal(s, []byte("null")) {
		if err := json.Unmarshal(s, &d.prevSig); err != nil {
			return nil, fmt.Errorf("previousDigestSignature: %w", err)
		}
	}
	if f.PreviousDigestS3Object != nil && *f.PreviousDigestS3Object != "" {
		d.prevKey, _ = objectKey(*f.PreviousDigestS3Object)
	}
	return d, nil
}

// digestChain names the chain a digest belongs to (account, region, trail
// and home region, from ACCOUNT_CloudTrail-Digest_REGION_TRAIL_HOME_TIME
// .json.gz) and says whether it is a backfill digest, which stands outside
// the chain.
func digestChain(key string) (string, bool) {
	base := strings.TrimSuffix(key[strings.LastIndexByte(key, '/')+1:], ".json.gz")
	backfill := strings.HasSuffix(base, "_backfill")
	base = strings.TrimSuffix(base, "_backfill")
	if i := strings.LastIndexByte(base, '_'); i > 0 {
		base = base[:i] // the timestamp
	}
	dir := key[:max(0, strings.LastIndexByte(key, '/'))]
	// The prefix up to CloudTrail-Digest/REGION names the account (and
	// organisation); the file name the trail.
	if i := strings.Index(dir, "/CloudTrail-Digest/"); i >= 0 {
		rest := dir[i+len("/CloudTrail-Digest/"):]
		region, _, _ := strings.Cut(rest, "/")
		dir = dir[:i] + "/" + region
	}
	return dir + "|" + base, backfill
}

// chain links each digest to the next one and checks the links.
func (v *verifier) chain() {
	chains := map[string][]*digest{}
	for _, d := range v.digests {
		if d.backfill {
			continue
		}
		chains[d.chain] = append(chains[d.chain], d)
	}
	v.report.stats.Chains = len(chains)
	for _, ds := range chains {
		sort.Slice(ds, func(i, j int) bool { return ds[i].end.Before(ds[j].end) })
		oldest := ds[0]
		for _, d := range ds {
			if d.prevKey == "" {
				continue
			}
			p := v.dByKey[d.prevKey]
			if p == nil {
				if d != oldest {
					v.issue(issueChain, fmt.Sprintf("%s: its previous digest %s is missing from the copy", d.path, d.prevKey))
				}
				continue
			}
			if p.next != nil {
				v.issue(issueChain, fmt.Sprintf("%s and %s both name %s as their previous digest", p.next.path, d.path, p.path))
				continue
			}
			p.next, d.prev = d, p
			alg := ""
			if d.file.PreviousDigestHashAlgorithm != nil {
				alg = *d.file.PreviousDigestHashAlgorithm
			}
			hv := ""
			if d.file.PreviousDigestHashValue != nil {
				hv = *d.file.PreviousDigestHashValue
			}
			if alg != "SHA-256" {
				p.why = fmt.Sprintf("the next digest hashes it with %q, not SHA-256", alg)
			} else if !strings.EqualFold(hv, p.sum) {
				v.issue(issueChain, fmt.Sprintf("%s: the next digest %s records SHA-256 %s, the file's is %s (altered)", p.path, d.path, hv, p.sum))
				p.why = "altered"
			}
			// The next digest's record of the signature is the one the
			// chain vouches for.
			p.sig, p.sigFrom = d.prevSig, "the next digest "+d.path
		}
	}
}

// authenticate verifies signatures, then propagates verification from
// each digest to the one before it through the hash it records.
func (v *verifier) authenticate() {
	v.missingKeys, v.unsigned = map[string]bool{}, map[string]bool{}
	sigOK := map[*digest]bool{}
	for _, d := range v.digests {
		altered := d.why == "altered"
		switch {
		case d.file.DigestSignatureAlgorithm != "SHA256withRSA":
			d.why = fmt.Sprintf("signature algorithm %q is not supported", d.file.DigestSignatureAlgorithm)
		case d.sig == "" && altered:
		case d.sig == "":
			d.why = "its signature is not in the copy (the newest digest of its chain: give its x-amz-meta-signature as " + d.path + ".sig)"
			if d.next == nil && v.hasNewer(d) {
				d.why = "its signature is in the next digest, which is missing from the copy"
			}
			v.unsigned[d.path] = true
		default:
			k, ok := v.keys[strings.ToLower(d.file.DigestPublicKeyFingerprint)]
			if !ok {
				d.why = "no public key with fingerprint " + d.file.DigestPublicKeyFingerprint + " was given"
				v.missingKeys[d.file.DigestPublicKeyFingerprint] = true
				break
			}
			if err := verifyDigestSignature(d, k.Key); err != nil {
				v.issue(issueSignature, fmt.Sprintf("%s: %v (signature from %s, key %s)", d.path, err, d.sigFrom, k.Fingerprint))
				if !altered {
					d.why = "bad signature"
				}
				break
			}
			sigOK[d] = !altered
		}
	}
	// A digest is also verified by a verified next digest that records
	// its hash: walk each chain back from its newest digest.
	for _, d := range v.digests {
		d.verified = sigOK[d]
	}
	for _, head := range v.digests {
		if head.next != nil {
			continue
		}
		for n := head; n.prev != nil; n = n.prev {
			p := n.prev
			if p.verified || !n.verified || p.why == "altered" || p.why == "bad signature" {
				continue
			}
			p.verified = n.file.PreviousDigestHashAlgorithm != nil && *n.file.PreviousDigestHashAlgorithm == "SHA-256" &&
				n.file.PreviousDigestHashValue != nil && strings.EqualFold(*n.file.PreviousDigestHashValue, p.sum)
		}
	}
	for _, d := range v.digests {
		if d.verified {
			v.report.stats.DigestsVerified++
		}
	}
}

// hasNewer reports whether d's chain has a later digest in the copy.
func (v *verifier) hasNewer(d *digest) bool {
	for _, o := range v.digests {
		if o != d && !o.backfill && o.chain == d.chain && o.end.After(d.end) {
			return true
		}
	}
	return false
}

// verifyDigestSignature checks a digest's signature with a key.
func verifyDigestSignature(d *digest, k *rsa.PublicKey) error {
	sig, err := hex.DecodeString(d.sig)
	if err != nil {
		return fmt.Errorf("signature is not hex: %w", err)
	}
	f := &d.file
	signed := f.DigestEndTime + "\n" + f.DigestS3Bucket + "/" + f.DigestS3Object + "\n" + d.sum + "\n" + d.prevSig
	h := sha256.Sum256([]byte(signed))
	if err := rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], sig); err != nil {
		return errors.New("signature does not verify")
	}
	return nil
}

// checkLogs compares the log files the digests list with the files read,
// and classifies every file read.
func (v *verifier) checkLogs(inputs []Input) {
	// Periods the digests cover, per account and region.
	covered := map[string][]span{}
	for _, d := range v.digests {
		for _, lf := range d.file.LogFiles {
			k, _ := objectKey(lf.S3Object)
			if !dirInRange(strings.Split(k, "/"), v.since, v.until) {
				continue
			}
			v.report.stats.LogFilesListed++
			local, ok := v.locate(k)
			if !ok {
				v.issue(issueMissing, fmt.Sprintf("%s (listed in %s)", lf.S3Object, d.path))
				v.report.stats.Missing++
				continue
			}
			v.listed[local] = true
			fh, ok := v.hashes[local]
			switch {
			case !ok:
				v.unverifiedWhy[local] = "it was not read"
			case fh.err != "":
				v.unverifiedWhy[local] = "it could not be hashed: " + fh.err
			case lf.HashAlgorithm != "SHA-256":
				v.unverifiedWhy[local] = fmt.Sprintf("%s lists it with hash algorithm %q", d.path, lf.HashAlgorithm)
			case !strings.EqualFold(lf.HashValue, fh.sum):
				v.issue(issueAltered, fmt.Sprintf("%s: SHA-256 %s, %s lists %s", local, fh.sum, d.path, lf.HashValue))
				v.report.stats.Altered++
				v.verifiedLog[local] = false
			case d.verified:
				if _, bad := v.verifiedLog[local]; !bad {
					v.verifiedLog[local] = true
				}
			default:
				if _, done := v.verifiedLog[local]; !done {
					v.unverifiedWhy[local] = "its digest " + d.path + " is not verified: " + d.why
				}
			}
		}
		if d.start.IsZero() {
			continue
		}
		acct, region := digestAccountRegion(d)
		covered[acct+"|"+region] = append(covered[acct+"|"+region], span{lo: d.start, hi: d.end})
	}
	segments := map[string][]span{}
	for k, ss := range covered {
		segments[k] = union(ss)
	}
	for _, in := range inputs {
		name := in.Name
		if ok, done := v.verifiedLog[name]; done {
			if ok {
				v.report.stats.LogFilesVerified++
				delete(v.unverifiedWhy, name)
			}
			continue
		}
		if _, read := v.hashes[name]; !read {
			continue
		}
		if v.listed[name] {
			if v.unverifiedWhy[name] == "" {
				v.unverifiedWhy[name] = "no verified digest lists it"
			}
			continue
		}
		acct, region, t := logAccountRegionTime(name)
		if t.IsZero() {
			v.unverifiedWhy[name] = "its name is not a CloudTrail log file name, so no digest can list it"
			continue
		}
		if inSegments(segments[acct+"|"+region], t) {
			v.issue(issueUnlisted, fmt.Sprintf("%s (delivered %s)", name, t.Format(time.RFC3339)))
			v.report.stats.Unlisted++
			delete(v.unverifiedWhy, name)
			continue
		}
		v.unverifiedWhy[name] = "no digest in the copy covers its delivery time " + t.Format(time.RFC3339)
	}
}

// finish turns issues and unverified files into findings and gaps.
func (v *verifier) finish() {
	byKind := map[string][]string{}
	for _, is := range v.issues {
		byKind[is.kind] = append(byKind[is.kind], is.what)
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		list := byKind[k]
		sort.Strings(list)
		first := list[:min(len(list), maxGapWhere)]
		msg := fmt.Sprintf("%d %s: %s", len(list), issueText[k], strings.Join(first, "; "))
		if len(list) > len(first) {
			msg += fmt.Sprintf("; … and %d more", len(list)-len(first))
		}
		v.report.findings = append(v.report.findings, newFinding(CheckDigest, finding.Critical, finding.Fail, gapResource, k, msg,
			map[string]any{"count": len(list), "first": first}))
	}
	names := make([]string, 0, len(v.unverifiedWhy))
	for n := range v.unverifiedWhy {
		names = append(names, n)
	}
	sort.Strings(names)
	v.report.stats.LogFilesUnverified = len(names)
	if len(names) > 0 {
		where := make([]string, 0, min(len(names), maxGapWhere))
		for _, n := range names[:min(len(names), maxGapWhere)] {
			where = append(where, n+": "+v.unverifiedWhy[n])
		}
		v.report.gaps = append(v.report.gaps, Gap{Check: CheckDigest, Reason: GapUnverifiedLogFiles, Count: int64(len(names)), Where: where,
			Message: fmt.Sprintf("%d log file(s) read are not vouched for by a verified digest", len(names))})
		if len(v.missingKeys) > 0 {
			fps := sortedKeys(v.missingKeys)
			v.report.gaps = append(v.report.gaps, Gap{Check: CheckDigest, Reason: GapDigestKeyMissing, Count: int64(len(fps)), Where: fps,
				Message: "no public key was given for digest key fingerprint(s) " + strings.Join(fps, ", ") +
					" (aws cloudtrail list-public-keys --region REGION --start-time … --end-time …)"})
		}
		if len(v.unsigned) > 0 {
			ds := sortedKeys(v.unsigned)
			v.report.gaps = append(v.report.gaps, Gap{Check: CheckDigest, Reason: GapDigestUnsigned, Count: int64(len(ds)), Where: ds[:min(len(ds), maxGapWhere)],
				Message: fmt.Sprintf("%d digest(s) have no signature in the copy: an older digest's is in the next digest of its chain; "+
					"the newest digest's is in the S3 object's x-amz-meta-signature metadata "+
					"(aws s3api head-object --bucket B --key K --query Metadata.signature --output text > DIGEST.sig)", len(ds))})
		}
	}
	sortGaps(v.report.gaps)
}

// unverifiedInputs marks every file read as unverified.
func (v *verifier) unverifiedInputs(inputs []Input, why string) {
	for _, in := range inputs {
		if _, read := v.hashes[in.Name]; read {
			v.unverifiedWhy[in.Name] = why
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// union merges spans into disjoint, sorted segments; spans that touch
// or overlap join.
func union(ss []span) []span {
	sort.Slice(ss, func(i, j int) bool { return ss[i].lo.Before(ss[j].lo) })
	var out []span
	for _, s := range ss {
		if n := len(out); n > 0 && !s.lo.After(out[n-1].hi) {
			if s.hi.After(out[n-1].hi) {
				out[n-1].hi = s.hi
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// inSegments reports whether t lies well inside one of the segments (at
// least logTolerance from either end).
func inSegments(segs []span, t time.Time) bool {
	for _, s := range segs {
		if !t.Before(s.lo.Add(logTolerance)) && !t.After(s.hi.Add(-logTolerance)) {
			return true
		}
	}
	return false
}

// digestAccountRegion is the account and region whose log files a digest
// lists.
func digestAccountRegion(d *digest) (string, string) {
	region := ""
	if i := strings.Index(d.key, "/CloudTrail-Digest/"); i >= 0 {
		region, _, _ = strings.Cut(d.key[i+len("/CloudTrail-Digest/"):], "/")
	}
	return d.file.AWSAccountID, region
}

// logAccountRegionTime reads ACCOUNT_CloudTrail_REGION_TIME_… from a log
// file's name.
func logAccountRegionTime(name string) (string, string, time.Time) {
	t := logFileTime(name)
	if t.IsZero() {
		return "", "", t
	}
	parts := strings.Split(filepath.Base(name), "_")
	return parts[0], parts[2], t
}

// objectKey returns an S3 object key or a path from its AWSLogs/ folder on
// (dropping a bucket prefix or the local folders above it); ok is false
// when there is no AWSLogs folder.
func objectKey(k string) (string, bool) {
	if strings.HasPrefix(k, "AWSLogs/") {
		return k, true
	}
	if i := strings.Index(k, "/AWSLogs/"); i >= 0 {
		return k[i+1:], true
	}
	return k, false
}

func absSlash(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		p = a
	}
	return filepath.ToSlash(p)
}

// digestInWindow reports whether a digest file may list log files
// delivered in [since, until]: its dated folder (the day its hour ended)
// is within the window, widened by a day at the end.
func digestInWindow(root, path string, since, until time.Time) bool {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return true
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	for i, p := range parts {
		if p == "CloudTrail-Digest" {
			parts[i] = "CloudTrail"
		}
	}
	if !until.IsZero() {
		until = until.Add(24 * time.Hour)
	}
	return dirInRange(parts, since, until)
}
