package trail

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/pvaudit/pvaudit/trail/trailsql"
)

// AthenaAPI is what an Athena replay calls. StartQueryExecution writes
// only the query's result to the output location; the query is a SELECT.
type AthenaAPI interface {
	StartQueryExecution(ctx context.Context, in *athena.StartQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error)
	GetQueryExecution(ctx context.Context, in *athena.GetQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error)
	GetQueryResults(ctx context.Context, in *athena.GetQueryResultsInput, optFns ...func(*athena.Options)) (*athena.GetQueryResultsOutput, error)
}

// Athena queries a trail's table (the standard CloudTrail table over the
// trail's S3 prefix).
type Athena struct {
	API AthenaAPI
	// Table is DATABASE.TABLE.
	Table string
	// Output is the s3:// location Athena writes the result to; WorkGroup
	// (optional) the work group (whose own output location, if enforced,
	// wins).
	Output, WorkGroup string
	// PageSize is MaxResults (0: 1000, the API's maximum).
	PageSize int32
}

// Name is "athena".
func (a *Athena) Name() string { return "athena" }

// Target is the table.
func (a *Athena) Target() string { return a.Table }

// Start runs StartQueryExecution in the table's database.
func (a *Athena) Start(ctx context.Context, sql string) (string, error) {
	db, _, ok := strings.Cut(a.Table, ".")
	in := &athena.StartQueryExecutionInput{QueryString: aws.String(sql)}
	if ok {
		in.QueryExecutionContext = &athenatypes.QueryExecutionContext{Database: aws.String(db)}
	}
	if a.Output != "" {
		in.ResultConfiguration = &athenatypes.ResultConfiguration{OutputLocation: aws.String(a.Output)}
	}
	if a.WorkGroup != "" {
		in.WorkGroup = aws.String(a.WorkGroup)
	}
	out, err := a.API.StartQueryExecution(ctx, in)
	if err != nil {
		return "", fmt.Errorf("athena StartQueryExecution: %w", err)
	}
	if aws.ToString(out.QueryExecutionId) == "" {
		return "", fmt.Errorf("athena StartQueryExecution: no query execution ID in the answer")
	}
	return aws.ToString(out.QueryExecutionId), nil
}

// Status runs GetQueryExecution.
func (a *Athena) Status(ctx context.Context, id string) (QueryStatus, error) {
	out, err := a.API.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
	if err != nil {
		return QueryStatus{}, fmt.Errorf("athena GetQueryExecution %s: %w", id, err)
	}
	qe := out.QueryExecution
	if qe == nil || qe.Status == nil {
		return QueryStatus{}, fmt.Errorf("athena GetQueryExecution %s: no status in the answer", id)
	}
	s := QueryStatus{State: string(qe.Status.State), Reason: aws.ToString(qe.Status.StateChangeReason)}
	if qe.Statistics != nil {
		s.BytesScanned = aws.ToInt64(qe.Statistics.DataScannedInBytes)
	}
	switch qe.Status.State {
	case athenatypes.QueryExecutionStateSucceeded:
		s.Done, s.OK = true, true
	case athenatypes.QueryExecutionStateFailed, athenatypes.QueryExecutionStateCancelled:
		s.Done = true
	}
	return s, nil
}

// Page runs GetQueryResults. The first page of a SELECT starts with a
// header row of the column names, which is checked and dropped.
func (a *Athena) Page(ctx context.Context, id, token string) (QueryPage, error) {
	size := a.PageSize
	if size <= 0 {
		size = 1000
	}
	in := &athena.GetQueryResultsInput{QueryExecutionId: aws.String(id), MaxResults: aws.Int32(size)}
	if token != "" {
		in.NextToken = aws.String(token)
	}
	out, err := a.API.GetQueryResults(ctx, in)
	if err != nil {
		return QueryPage{}, fmt.Errorf("athena GetQueryResults %s: %w", id, err)
	}
	p := QueryPage{Next: aws.ToString(out.NextToken), Total: -1}
	rs := out.ResultSet
	if rs == nil || rs.ResultSetMetadata == nil {
		return QueryPage{}, fmt.Errorf("athena GetQueryResults %s: no result set metadata", id)
	}
	var cols []string
	for _, c := range rs.ResultSetMetadata.ColumnInfo {
		cols = append(cols, strings.ToLower(aws.ToString(c.Name)))
	}
	rows := rs.Rows
	if token == "" && len(rows) > 0 && isHeader(rows[0], cols) {
		rows = rows[1:]
	}
	for _, r := range rows {
		if len(r.Data) != len(cols) {
			return QueryPage{}, fmt.Errorf("athena GetQueryResults %s: a row has %d values for %d columns", id, len(r.Data), len(cols))
		}
		row := trailsql.Row{}
		for i, d := range r.Data {
			row[cols[i]] = d.VarCharValue
		}
		p.Rows = append(p.Rows, row)
	}
	return p, nil
}

func isHeader(r athenatypes.Row, cols []string) bool {
	if len(r.Data) != len(cols) {
		return false
	}
	for i, d := range r.Data {
		if !strings.EqualFold(aws.ToString(d.VarCharValue), cols[i]) {
			return false
		}
	}
	return true
}
