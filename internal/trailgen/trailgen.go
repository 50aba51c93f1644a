// Package trailgen writes synthetic CloudTrail archives in the S3 layout
// (AWSLogs/…/CloudTrail/<region>/YYYY/MM/DD/*.json.gz) with a realistic mix
// of services and identities and a few planted provider sessions, and
// returns a manifest of what it planted so tests can check that a replay
// finds exactly that.
package trailgen

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Shapes the generator can write.
const (
	ShapeRecords = "records" // delivered files: {"Records":[…]}
	ShapeArray   = "array"   // a JSON array of records
	ShapeLines   = "ndjson"  // one record per line
)

// Config says what to generate.
type Config struct {
	Events        int       // background records in total (planted ones come on top)
	EventsPerFile int       // average records per file (default 1000)
	Seed          uint64    // same seed, same archive
	Account       string    // the audited account (default 111122223333)
	Provider      string    // the provisioner's account (default 999988887777)
	OrgID         string    // when set, write an organisation trail layout, with the provider's copies of cross-account events
	Regions       []string  // default us-east-1, us-west-2, eu-west-1
	Start         time.Time // default 2025-03-01T00:00:00Z
	Span          time.Duration
	Sessions      int    // well-behaved provider sessions (default 3)
	Violations    bool   // also plant misbehaving sessions and a refused attempt
	Shape         string // records (default), array or ndjson
	Plain         bool   // write .json instead of .json.gz
	Malformed     int    // undecodable records naming the role, planted in files
	RoleName      string // default Pennsieve-Compute-dev-a3f1b20c
	Workers       int    // files written in parallel (default 2)
	// Profile is ProfileSynthetic (default) or ProfileDelivered. A
	// delivered archive has one file per region and five minutes (Span is
	// then as long as Events need) and EventsPerFile defaults to 53.
	Profile string
	// Active is the fraction of a delivered archive's files that hold
	// calls made under the role by the provider's hourly sessions
	// (default 0.67, as in the real archive the figures come from).
	Active float64
}

func (c *Config) defaults() {
	if c.Profile == "" {
		c.Profile = ProfileSynthetic
	}
	if c.Profile == ProfileDelivered && c.EventsPerFile <= 0 {
		c.EventsPerFile = deliveredPerFile
	}
	if c.Profile == ProfileDelivered && c.Active == 0 {
		c.Active = 0.67
	}
	if c.EventsPerFile <= 0 {
		c.EventsPerFile = 1000
	}
	if c.Account == "" {
		c.Account = "111122223333"
	}
	if c.Provider == "" {
		c.Provider = "999988887777"
	}
	if len(c.Regions) == 0 {
		c.Regions = []string{"us-east-1", "us-west-2", "eu-west-1"}
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.Span <= 0 {
		c.Span = 3 * 24 * time.Hour
	}
	if c.Shape == "" {
		c.Shape = ShapeRecords
	}
	if c.RoleName == "" {
		c.RoleName = "Pennsieve-Compute-dev-a3f1b20c"
	}
	if c.Workers <= 0 {
		c.Workers = 2
	}
}

// Manifest is what was written and planted.
type Manifest struct {
	Files       int `json:"files"`
	DigestFiles int `json:"digest_files"`
	Background  int `json:"background_events"`
	Planted     int `json:"planted_events"` // records of planted sessions (incl. the provider's copies)
	Malformed   int `json:"malformed"`
	// SessionEvents are the records of the delivered profile's hourly
	// provider sessions (AssumeRole and calls), on top of the background.
	SessionEvents int              `json:"session_events,omitempty"`
	Bytes         int64            `json:"bytes"`
	RoleARN       string           `json:"role_arn"`
	Provisioner   string           `json:"provisioner_arn"`
	Sessions      []PlantedSession `json:"sessions"`
	// ProviderCreatedRoles are the roles CreateRole made under planted sessions.
	ProviderCreatedRoles []string `json:"provider_created_roles"`
}

// PlantedSession is one planted AssumeRole and the calls made under it.
type PlantedSession struct {
	ID       string    `json:"id"` // access key ID, or attempt-<eventID>
	Attempt  bool      `json:"attempt,omitempty"`
	Assumer  string    `json:"assumer"`
	Start    time.Time `json:"start"`
	Expiry   time.Time `json:"expiry,omitzero"`
	CallIDs  []string  `json:"call_event_ids"`
	Denied   int       `json:"denied"`
	Findings []string  `json:"findings"` // "CHECK/STATUS", sorted
}

// event is one planted record, placed by time and region.
type event struct {
	t      time.Time
	region string
	acct   string // which account's log it goes to
	body   []byte
}

// Generate writes an archive under dir and returns its manifest.
func Generate(ctx context.Context, dir string, cfg Config) (Manifest, error) {
	cfg.defaults()
	switch cfg.Shape {
	case ShapeRecords, ShapeArray, ShapeLines:
	default:
		return Manifest{}, fmt.Errorf("trailgen: unknown shape %q", cfg.Shape)
	}
	delivered := cfg.Profile == ProfileDelivered
	switch {
	case cfg.Profile == ProfileSynthetic:
	case delivered:
		n := max(1, (cfg.Events+cfg.EventsPerFile-1)/cfg.EventsPerFile/len(cfg.Regions))
		cfg.Span = time.Duration(n) * deliveredSlot
	default:
		return Manifest{}, fmt.Errorf("trailgen: unknown profile %q", cfg.Profile)
	}
	g := &gen{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))}
	m := Manifest{
		RoleARN:     "arn:aws:iam::" + cfg.Account + ":role/" + cfg.RoleName,
		Provisioner: "arn:aws:iam::" + cfg.Provider + ":role/pennsieve-provisioner",
	}
	planted := g.plant(&m)
	m.Planted = len(planted)

	slots := max(1, (cfg.Events+cfg.EventsPerFile-1)/cfg.EventsPerFile/len(cfg.Regions))
	slotLen := cfg.Span / time.Duration(slots)
	type fileJob struct {
		slot   int
		region string
		acct   string
		n      int
		events []event
		seed   uint64
		trunc  bool
	}
	byFile := map[string]*fileJob{}
	var jobs []*fileJob
	key := func(slot int, region, acct string) string { return fmt.Sprint(slot, region, acct) }
	remaining := cfg.Events
	// A delivered archive's files vary in size (10–96 records, weights
	// drawn here so the total stays exact).
	var weights []int
	wsum := 0
	if delivered {
		for range slots * len(cfg.Regions) {
			w := 10 + g.rng.IntN(max(1, 2*cfg.EventsPerFile-19))
			weights = append(weights, w)
			wsum += w
		}
	}
	for s := 0; s < slots; s++ {
		for ri, r := range cfg.Regions {
			left := slots*len(cfg.Regions) - (s*len(cfg.Regions) + ri)
			n := remaining / left
			if delivered {
				i := s*len(cfg.Regions) + ri
				n = min(remaining, remaining*weights[i]/max(1, wsum))
				wsum -= weights[i]
			}
			remaining -= n
			j := &fileJob{slot: s, region: r, acct: cfg.Account, n: n, seed: g.rng.Uint64()}
			byFile[key(s, r, cfg.Account)] = j
			jobs = append(jobs, j)
		}
	}
	m.Background = cfg.Events
	for _, e := range planted {
		s := min(slots-1, max(0, int(e.t.Sub(cfg.Start)/slotLen)))
		j := byFile[key(s, e.region, e.acct)]
		if j == nil {
			j = &fileJob{slot: s, region: e.region, acct: e.acct, seed: g.rng.Uint64()}
			byFile[key(s, e.region, e.acct)] = j
			jobs = append(jobs, j)
		}
		j.events = append(j.events, e)
	}
	// Malformed records go into files that already hold planted events.
	var withPlanted []*fileJob
	for _, j := range jobs {
		if len(j.events) > 0 && j.acct == cfg.Account {
			withPlanted = append(withPlanted, j)
		}
	}
	for i := 0; i < cfg.Malformed && len(withPlanted) > 0; i++ {
		j := withPlanted[i%len(withPlanted)]
		bad := g.malformed(i, j.region, cfg.Start.Add(time.Duration(j.slot)*slotLen))
		j.events = append(j.events, event{t: cfg.Start.Add(time.Duration(j.slot) * slotLen), region: j.region, acct: j.acct, body: bad})
		m.Malformed++
	}

	var mu sync.Mutex
	var firstErr error
	work := make(chan *fileJob)
	var wg sync.WaitGroup
	for range cfg.Workers {
		wg.Go(func() {
			var buf, zbuf bytes.Buffer
			for j := range work {
				t0 := cfg.Start.Add(time.Duration(j.slot) * slotLen)
				fw := &fileWriter{cfg: &cfg, rng: rand.New(rand.NewPCG(j.seed, uint64(j.slot))), region: j.region, acct: j.acct}
				buf.Reset()
				extra := fw.write(&buf, j.n, t0, slotLen, j.events)
				path, size, err := fw.save(dir, &buf, &zbuf, t0.Add(slotLen))
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				m.Files++
				m.Bytes += size
				m.SessionEvents += extra
				_ = path
				mu.Unlock()
			}
		})
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		work <- j
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return m, firstErr
	}
	if err := ctx.Err(); err != nil {
		return m, fmt.Errorf("trailgen: %w", err)
	}
	// A digest file per region and day, as CloudTrail writes them.
	days := int(cfg.Span/(24*time.Hour)) + 1
	for d := 0; d < days; d++ {
		for _, r := range cfg.Regions {
			t := cfg.Start.AddDate(0, 0, d)
			p := filepath.Join(dir, g.prefix(cfg.Account), "CloudTrail-Digest", r, t.Format("2006/01/02"),
				fmt.Sprintf("%s_CloudTrail-Digest_%s_trail_%s_%s.json.gz", cfg.Account, r, r, t.Format("20060102T1504Z")))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return m, fmt.Errorf("trailgen: %w", err)
			}
			if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
				return m, fmt.Errorf("trailgen: %w", err)
			}
			m.DigestFiles++
		}
	}
	return m, nil
}

type gen struct {
	cfg Config
	rng *rand.Rand
}

func (g *gen) prefix(acct string) string {
	if g.cfg.OrgID != "" {
		return filepath.Join("AWSLogs", g.cfg.OrgID, acct)
	}
	return filepath.Join("AWSLogs", acct)
}

type fileWriter struct {
	cfg    *Config
	rng    *rand.Rand
	region string
	acct   string
}

// write renders a file and returns how many records of the delivered
// profile's hourly sessions it holds.
func (fw *fileWriter) write(buf *bytes.Buffer, n int, t0 time.Time, span time.Duration, planted []event) (extra int) {
	var bodies [][]byte
	delivered := fw.cfg.Profile == ProfileDelivered
	for i := 0; i < n; i++ {
		t := t0.Add(time.Duration(fw.rng.Int64N(int64(span))))
		if delivered {
			bodies = append(bodies, deliveredBackground(fw.rng, fw.cfg, fw.region, t))
		} else {
			bodies = append(bodies, background(fw.rng, fw.cfg, fw.region, t))
		}
	}
	if delivered {
		planted = planted[:len(planted):len(planted)]
		for _, b := range fw.deliveredExtras(t0) {
			planted = append(planted, event{body: b})
			extra++
		}
	}
	for _, e := range planted {
		// Planted records land at random positions: files are not in time order.
		at := 0
		if len(bodies) > 0 {
			at = fw.rng.IntN(len(bodies) + 1)
		}
		bodies = append(bodies, nil)
		copy(bodies[at+1:], bodies[at:])
		bodies[at] = e.body
	}
	switch fw.cfg.Shape {
	case ShapeLines:
		for _, b := range bodies {
			buf.Write(b)
			buf.WriteByte('\n')
		}
	default:
		if fw.cfg.Shape == ShapeRecords {
			buf.WriteString(`{"Records":[`)
		} else {
			buf.WriteString("[")
		}
		for i, b := range bodies {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(b)
		}
		buf.WriteString("]")
		if fw.cfg.Shape == ShapeRecords {
			buf.WriteString("}")
		}
	}
	return extra
}

func (fw *fileWriter) save(dir string, buf, zbuf *bytes.Buffer, end time.Time) (string, int64, error) {
	g := &gen{cfg: *fw.cfg}
	name := fmt.Sprintf("%s_CloudTrail_%s_%s_%s.json", fw.acct, fw.region, end.Format("20060102T1504Z"), randID(fw.rng, 16))
	p := filepath.Join(dir, g.prefix(fw.acct), "CloudTrail", fw.region, end.Format("2006/01/02"), name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", 0, fmt.Errorf("trailgen: %w", err)
	}
	data := buf.Bytes()
	if !fw.cfg.Plain {
		p += ".gz"
		zbuf.Reset()
		zw := gzip.NewWriter(zbuf)
		if _, err := zw.Write(data); err != nil {
			return "", 0, fmt.Errorf("trailgen: gzip: %w", err)
		}
		if err := zw.Close(); err != nil {
			return "", 0, fmt.Errorf("trailgen: gzip: %w", err)
		}
		data = zbuf.Bytes()
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return "", 0, fmt.Errorf("trailgen: %w", err)
	}
	return p, int64(len(data)), nil
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randID(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[r.IntN(len(alnum))]
	}
	return string(b)
}

func uuid(r *rand.Rand) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 36)
	for i := range b {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
		default:
			b[i] = hex[r.IntN(16)]
		}
	}
	return string(b)
}

// rec builds one record as JSON, keys in CloudTrail's order. Values are
// written with strconv.Quote-compatible escaping (ASCII only).
type rec struct {
	b []byte
}

func (r *rec) raw(k, v string) {
	if len(r.b) > 1 {
		r.b = append(r.b, ',')
	}
	r.b = strconv.AppendQuote(r.b, k)
	r.b = append(r.b, ':')
	r.b = append(r.b, v...)
}

func (r *rec) str(k, v string) { r.raw(k, strconv.Quote(v)) }

func obj(fill func(*rec)) string {
	r := &rec{b: []byte{'{'}}
	fill(r)
	return string(append(r.b, '}'))
}

// callSpec is one API call to render.
type callSpec struct {
	t         time.Time
	id        string
	shared    string
	version   string
	source    string
	name      string
	region    string
	ip        string
	ua        string
	identity  string
	request   string
	response  string
	errCode   string
	errMsg    string
	readOnly  bool
	recipient string
	resources string
}

func render(c callSpec) []byte {
	r := &rec{b: make([]byte, 0, 1400)}
	r.b = append(r.b, '{')
	r.str("eventVersion", c.version)
	r.raw("userIdentity", c.identity)
	r.str("eventTime", c.t.UTC().Format(time.RFC3339))
	r.str("eventSource", c.source)
	r.str("eventName", c.name)
	r.str("awsRegion", c.region)
	r.str("sourceIPAddress", c.ip)
	r.str("userAgent", c.ua)
	if c.errCode != "" {
		r.str("errorCode", c.errCode)
		r.str("errorMessage", c.errMsg)
	}
	r.raw("requestParameters", orNull(c.request))
	r.raw("responseElements", orNull(c.response))
	r.str("requestID", c.id[:8]+"-req"+c.id[12:])
	r.str("eventID", c.id)
	r.raw("readOnly", strconv.FormatBool(c.readOnly))
	if c.resources != "" {
		r.raw("resources", c.resources)
	}
	r.str("eventType", "AwsApiCall")
	r.raw("managementEvent", "true")
	r.str("recipientAccountId", c.recipient)
	if c.shared != "" {
		r.str("sharedEventID", c.shared)
	}
	r.str("eventCategory", "Management")
	r.raw("tlsDetails", obj(func(t *rec) {
		t.str("tlsVersion", "TLSv1.3")
		t.str("cipherSuite", "TLS_AES_128_GCM_SHA256")
		t.str("clientProvidedHostHeader", c.source[:len(c.source)-len(".amazonaws.com")]+"."+c.region+".amazonaws.com")
	}))
	return append(r.b, '}')
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

func iamUser(acct, name, key string) string {
	return obj(func(r *rec) {
		r.str("type", "IAMUser")
		r.str("principalId", "AIDA"+name)
		r.str("arn", "arn:aws:iam::"+acct+":user/"+name)
		r.str("accountId", acct)
		r.str("accessKeyId", key)
		r.str("userName", name)
	})
}

func assumedRole(acct, role, session, key string, created time.Time) string {
	return obj(func(r *rec) {
		r.str("type", "AssumedRole")
		r.str("principalId", "AROA"+role[:min(len(role), 12)]+":"+session)
		r.str("arn", "arn:aws:sts::"+acct+":assumed-role/"+role+"/"+session)
		r.str("accountId", acct)
		r.str("accessKeyId", key)
		r.raw("sessionContext", obj(func(s *rec) {
			s.raw("sessionIssuer", obj(func(i *rec) {
				i.str("type", "Role")
				i.str("principalId", "AROA"+role[:min(len(role), 12)])
				i.str("arn", "arn:aws:iam::"+acct+":role/"+role)
				i.str("accountId", acct)
				i.str("userName", role)
			}))
			s.raw("attributes", obj(func(a *rec) {
				a.str("creationDate", created.UTC().Format(time.RFC3339))
				a.str("mfaAuthenticated", "false")
			}))
		}))
	})
}

func service(name string) string {
	return obj(func(r *rec) {
		r.str("type", "AWSService")
		r.str("invokedBy", name)
	})
}

var versions = []string{"1.05", "1.08", "1.09", "1.10", "1.11"}

// background renders one record of ordinary account activity.
func background(rng *rand.Rand, cfg *Config, region string, t time.Time) []byte {
	acct := cfg.Account
	c := callSpec{t: t, id: uuid(rng), version: versions[rng.IntN(len(versions))], region: region, recipient: acct,
		ip: fmt.Sprintf("%d.%d.%d.%d", 3+rng.IntN(60), rng.IntN(256), rng.IntN(256), 1+rng.IntN(254)),
		ua: "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.173.0", readOnly: true}
	key := "ASIA" + randID(rng, 16)
	instance := fmt.Sprintf("i-%017x", rng.Uint64()>>4)
	switch p := rng.IntN(100); {
	case p < 28:
		c.source, c.name = "ec2.amazonaws.com", []string{"DescribeInstances", "DescribeSecurityGroups", "DescribeVpcs", "DescribeSubnets", "DescribeVolumes"}[rng.IntN(5)]
		c.identity = iamUser(acct, []string{"alice", "bob", "carol"}[rng.IntN(3)], "AKIA"+randID(rng, 16))
		c.request = `{"filterSet":{},"instancesSet":{"items":[{"instanceId":"` + instance + `"}]}}`
		c.ua = "console.ec2.amazonaws.com"
	case p < 50:
		c.source, c.name = "ssm.amazonaws.com", "UpdateInstanceInformation"
		c.identity = assumedRole(acct, "ecs-cluster-instance", instance, key, t.Add(-time.Hour))
		c.request = `{"instanceId":"` + instance + `","agentVersion":"3.3.1611.0","agentStatus":"Active","platformType":"Linux","platformName":"Amazon Linux","platformVersion":"2","iPAddress":"HIDDEN_DUE_TO_SECURITY_REASONS","computerName":"ip-10-0-9-115.ec2.internal","agentName":"amazon-ssm-agent","availabilityZone":"` + region + `c"}`
		c.ua = "aws-sdk-go/1.55.5 (go1.22.7; linux; amd64) amazon-ssm-agent/"
		c.readOnly = false
	case p < 62:
		c.source, c.name = "sts.amazonaws.com", "AssumeRole"
		c.identity = service("ec2.amazonaws.com")
		c.ip, c.ua = "ec2.amazonaws.com", "ec2.amazonaws.com"
		role := "arn:aws:iam::" + acct + ":role/ecs-cluster-instance"
		c.request = `{"roleArn":"` + role + `","roleSessionName":"` + instance + `"}`
		c.response = `{"credentials":{"accessKeyId":"` + key + `","sessionToken":"IQoJb3JpZ2luX2VjEKn` + randID(rng, 120) + `","expiration":"` + t.Add(6*time.Hour).Format("Jan 2, 2006, 3:04:05 PM") + `"}}`
		c.resources = `[{"accountId":"` + acct + `","type":"AWS::IAM::Role","ARN":"` + role + `"}]`
		c.shared = uuid(rng)
	case p < 72:
		c.source, c.name = "kms.amazonaws.com", "Decrypt"
		c.identity = assumedRole(acct, "my-LambdaFunctionRole-54321GFDSX", "my-LambdaFunction-12345XSDFG", key, t.Add(-time.Minute))
		c.request = `{"encryptionAlgorithm":"SYMMETRIC_DEFAULT","encryptionContext":{"aws:lambda:FunctionArn":"arn:aws:lambda:` + region + `:` + acct + `:function:my-LambdaFunction-12345XSDFG"}}`
		c.ua = "lambda.amazonaws.com"
	case p < 80:
		c.source, c.name = "s3.amazonaws.com", []string{"GetBucketAcl", "ListBuckets", "GetBucketPolicy"}[rng.IntN(3)]
		c.identity = service("config.amazonaws.com")
		c.request = `{"bucketName":"audit-logs-` + acct + `","Host":"audit-logs-` + acct + `.s3.amazonaws.com","acl":""}`
		c.ip, c.ua = "config.amazonaws.com", "config.amazonaws.com"
	case p < 86:
		c.source, c.name = "logs.amazonaws.com", "DescribeLogGroups"
		c.identity = assumedRole(acct, "AWSReservedSSO_ReadOnly_0123456789abcdef", "carol@example.org", key, t.Add(-2*time.Hour))
		c.request = `{"limit":50}`
	case p < 90:
		c.source, c.name = "lambda.amazonaws.com", "GetFunction20150331v2"
		c.identity = iamUser(acct, "deploy-bot", "AKIA"+randID(rng, 16))
		c.request = `{"functionName":"my-LambdaFunction-12345XSDFG"}`
	case p < 94:
		c.source, c.name = "iam.amazonaws.com", []string{"ListRoles", "GetRole", "ListAttachedRolePolicies"}[rng.IntN(3)]
		c.identity = iamUser(acct, "alice", "AKIA"+randID(rng, 16))
		c.region = "us-east-1"
		role := "ecs-cluster-instance"
		if rng.IntN(200) == 0 {
			// Now and then an admin looks at the cross-account role: the
			// record names the role but is not a call under it.
			role = cfg.RoleName
		}
		c.request = `{"roleName":"` + role + `"}`
	case p < 97:
		c.source, c.name = "monitoring.amazonaws.com", "GetMetricData"
		c.identity = assumedRole(acct, "grafana-reader", "grafana", key, t.Add(-time.Hour))
		c.request = `{"startTime":"` + t.Add(-time.Hour).Format(time.RFC3339) + `","endTime":"` + t.Format(time.RFC3339) + `"}`
	default:
		c.source, c.name = "sts.amazonaws.com", "GetCallerIdentity"
		c.identity = assumedRole(acct, "ci-deployer", "gh-actions", key, t.Add(-10*time.Minute))
	}
	return render(c)
}

// malformed renders an undecodable record that names the role, so it is
// counted whether or not the pre-filter skips irrelevant records.
func (g *gen) malformed(i int, region string, t time.Time) []byte {
	arn := "arn:aws:sts::" + g.cfg.Account + ":assumed-role/" + g.cfg.RoleName + "/broken"
	if i%2 == 0 {
		// Balanced but not JSON.
		return []byte(`{"eventVersion":"1.08","userIdentity":{"arn":"` + arn + `",},"eventTime":"` + t.Format(time.RFC3339) + `","awsRegion":"` + region + `"}`)
	}
	// JSON, but the time cannot be read.
	return []byte(`{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"` + arn + `"},"eventTime":"yesterday","eventName":"DescribeVpcs","awsRegion":"` + region + `"}`)
}

func sortedFindings(fs []string) []string {
	out := append([]string(nil), fs...)
	sort.Strings(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// Records reads back every record of an archive under dir (any shape the
// generator writes, plain or gzip), in file then record order.
func Records(dir string) ([][]byte, error) {
	var out [][]byte
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "CloudTrail-Digest") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
		recs, err := splitRecords(b)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, recs...)
		return nil
	})
	return out, err
}

func splitRecords(b []byte) ([][]byte, error) {
	t := bytes.TrimSpace(b)
	var arr []json.RawMessage
	switch {
	case len(t) > 0 && t[0] == '{' && bytes.Contains(t[:min(len(t), 32)], []byte(`"Records"`)):
		var w struct{ Records []json.RawMessage }
		if err := json.Unmarshal(t, &w); err != nil {
			return nil, err
		}
		arr = w.Records
	case len(t) > 0 && t[0] == '[':
		if err := json.Unmarshal(t, &arr); err != nil {
			return nil, err
		}
	default:
		for _, line := range bytes.Split(t, []byte("\n")) {
			if line = bytes.TrimSpace(line); len(line) > 0 {
				arr = append(arr, json.RawMessage(line))
			}
		}
	}
	out := make([][]byte, 0, len(arr))
	for _, r := range arr {
		if json.Valid(r) {
			out = append(out, r)
		}
	}
	return out, nil
}
