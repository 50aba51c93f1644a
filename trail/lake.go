package trail

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/pvaudit/pvaudit/trail/trailsql"
)

// LakeAPI is what a CloudTrail Lake replay calls: read-only query
// operations.
type LakeAPI interface {
	StartQuery(ctx context.Context, in *cloudtrail.StartQueryInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.StartQueryOutput, error)
	DescribeQuery(ctx context.Context, in *cloudtrail.DescribeQueryInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.DescribeQueryOutput, error)
	GetQueryResults(ctx context.Context, in *cloudtrail.GetQueryResultsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.GetQueryResultsOutput, error)
}

// Lake queries a CloudTrail Lake event data store.
type Lake struct {
	API LakeAPI
	// EventDataStore is the store's ID or ARN (the query's FROM).
	EventDataStore string
	// PageSize is MaxQueryResults (0: 1000, the API's maximum).
	PageSize int32
}

// Name is "lake".
func (l *Lake) Name() string { return "lake" }

// Target is the event data store.
func (l *Lake) Target() string { return l.EventDataStore }

// Start runs StartQuery.
func (l *Lake) Start(ctx context.Context, sql string) (string, error) {
	out, err := l.API.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String(sql)})
	if err != nil {
		return "", fmt.Errorf("cloudtrail StartQuery: %w", err)
	}
	if aws.ToString(out.QueryId) == "" {
		return "", fmt.Errorf("cloudtrail StartQuery: no query ID in the answer")
	}
	return aws.ToString(out.QueryId), nil
}

// Status runs DescribeQuery.
func (l *Lake) Status(ctx context.Context, id string) (QueryStatus, error) {
	out, err := l.API.DescribeQuery(ctx, &cloudtrail.DescribeQueryInput{QueryId: aws.String(id)})
	if err != nil {
		return QueryStatus{}, fmt.Errorf("cloudtrail DescribeQuery %s: %w", id, err)
	}
	s := QueryStatus{State: string(out.QueryStatus), Reason: aws.ToString(out.ErrorMessage)}
	if q := out.QueryStatistics; q != nil {
		s.BytesScanned = aws.ToInt64(q.BytesScanned)
	}
	switch out.QueryStatus {
	case cttypes.QueryStatusFinished:
		s.Done, s.OK = true, true
	case cttypes.QueryStatusFailed, cttypes.QueryStatusCancelled, cttypes.QueryStatusTimedOut:
		s.Done = true
	}
	return s, nil
}

// Page runs GetQueryResults. Lake returns each row as a list of one-entry
// maps, column name to value; a column whose value is NULL is absent.
func (l *Lake) Page(ctx context.Context, id, token string) (QueryPage, error) {
	size := l.PageSize
	if size <= 0 {
		size = 1000
	}
	in := &cloudtrail.GetQueryResultsInput{QueryId: aws.String(id), MaxQueryResults: aws.Int32(size)}
	if token != "" {
		in.NextToken = aws.String(token)
	}
	out, err := l.API.GetQueryResults(ctx, in)
	if err != nil {
		return QueryPage{}, fmt.Errorf("cloudtrail GetQueryResults %s: %w", id, err)
	}
	if out.QueryStatus != "" && out.QueryStatus != cttypes.QueryStatusFinished {
		return QueryPage{}, fmt.Errorf("cloudtrail GetQueryResults %s: the query is %s: %s", id, out.QueryStatus, aws.ToString(out.ErrorMessage))
	}
	p := QueryPage{Next: aws.ToString(out.NextToken), Total: -1}
	if q := out.QueryStatistics; q != nil {
		if q.TotalResultsCount != nil {
			p.Total = int64(*q.TotalResultsCount)
		}
		p.BytesScanned = aws.ToInt64(q.BytesScanned)
	}
	for _, cells := range out.QueryResultRows {
		row := trailsql.Row{}
		for _, cell := range cells {
			keys := make([]string, 0, len(cell))
			for k := range cell {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				v := cell[k]
				row[k] = &v
			}
		}
		p.Rows = append(p.Rows, row)
	}
	return p, nil
}
