package main

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/spf13/pflag"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/trail"
	"github.com/pvaudit/pvaudit/trail/trailsql"
)

// queryFlags are the CloudTrail Lake and Athena sources, registered with
// the other trail flags (bare in the trail commands, --trail- in scan).
type queryFlags struct {
	prefix    string
	lake      string
	athena    string
	output    string
	workgroup string
	timeout   time.Duration
}

func (q *queryFlags) register(f *pflag.FlagSet, prefix string) {
	q.prefix = prefix
	f.StringVar(&q.lake, prefix+"lake", "", "`EVENT_DATA_STORE` (ID or ARN): replay with a CloudTrail Lake query instead of reading the logs (AWS flags apply)")
	f.StringVar(&q.athena, prefix+"athena", "", "`DATABASE.TABLE`: replay with an Athena query over the trail's standard CloudTrail table (partitions region/year/month/day)")
	f.StringVar(&q.output, prefix+"athena-output", "", "s3:// location Athena writes the query result to (or the work group's)")
	f.StringVar(&q.workgroup, prefix+"athena-workgroup", "", "Athena work group")
	f.DurationVar(&q.timeout, prefix+"query-timeout", 30*time.Minute, "how long to wait for a Lake or Athena query before it counts as a coverage gap")
}

func (q *queryFlags) given() bool { return q.lake != "" || q.athena != "" }

func (q *queryFlags) validate() error {
	if q.athena != "" {
		if _, err := trailsql.Build(trailsql.Query{Dialect: trailsql.Athena, Table: q.athena, Roles: trailsql.Roles{Globs: []string{"x"}}}); err != nil {
			return usageErr("--%sathena: %w", q.prefix, err)
		}
		if q.output == "" && q.workgroup == "" {
			return usageErr("--%sathena needs --%sathena-output s3://… (or --%sathena-workgroup with an output location)", q.prefix, q.prefix, q.prefix)
		}
		if q.output != "" && !strings.HasPrefix(q.output, "s3://") {
			return usageErr("--%sathena-output %q: want s3://BUCKET/PREFIX", q.prefix, q.output)
		}
	} else if q.output != "" || q.workgroup != "" {
		return usageErr("--%sathena-output and --%sathena-workgroup need --%sathena", q.prefix, q.prefix, q.prefix)
	}
	if q.lake != "" {
		if _, err := trailsql.Build(trailsql.Query{Dialect: trailsql.Lake, Table: q.lake, Roles: trailsql.Roles{Globs: []string{"x"}}}); err != nil {
			return usageErr("--%slake: %w", q.prefix, err)
		}
	}
	if q.timeout <= 0 {
		return usageErr("--%squery-timeout must be positive", q.prefix)
	}
	return nil
}

// engines adds the query sources, with clients from the AWS flags.
func (q *queryFlags) engines(ctx context.Context, a *app, ao *awsOpts, src *audit.TrailSources) error {
	if !q.given() {
		return nil
	}
	if err := q.validate(); err != nil {
		return err
	}
	cfg, err := ao.config(ctx, a)
	if err != nil {
		return err
	}
	if q.lake != "" {
		src.Queries = append(src.Queries, audit.TrailQuery{Dialect: trailsql.Lake, Timeout: q.timeout,
			Engine: &trail.Lake{API: cloudtrail.NewFromConfig(cfg), EventDataStore: q.lake}})
	}
	if q.athena != "" {
		src.Queries = append(src.Queries, audit.TrailQuery{Dialect: trailsql.Athena, Timeout: q.timeout,
			Engine: &trail.Athena{API: athena.NewFromConfig(cfg), Table: q.athena, Output: q.output, WorkGroup: q.workgroup}})
	}
	return nil
}
