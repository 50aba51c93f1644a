package inventory

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// FuzzDecode: Decode never panics, every error is an *InputError with a
// position inside the input, and what it accepts survives pvaudit's own
// format unchanged (the writer never writes what the reader refuses).
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"RoleDetailList":[` + cliRoleJSON(`,"MaxSessionDuration":3600`) + `]}`))
	f.Add([]byte(ownJSON(`{"name":"r1","arn":"arn:aws:iam::111122223333:role/r1","path":"/","id":"AROAEXAMPLE1","create_date":"2026-01-01T00:00:00Z","trust_policy":` + okTrustDoc + `}`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		snap, err := Decode(data, "f.json")
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("error %T %v is not an *InputError", err, err)
			}
			if ie.Line < 0 || ie.Column < 0 {
				t.Fatalf("negative position in %v", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := snap.WriteJSON(&buf); err != nil {
			t.Fatalf("WriteJSON: %v", err)
		}
		back, err := Decode(buf.Bytes(), "back.json")
		if err != nil {
			t.Fatalf("own format of an accepted input does not decode: %v\n%s", err, buf.Bytes())
		}
		if back.Source == "aws-cli" || snap.Source == "aws-cli" {
			back.Source, snap.Source = "", ""
		}
		if !reflect.DeepEqual(snap.Roles, back.Roles) || !reflect.DeepEqual(snap.Policies, back.Policies) || snap.AccountID != back.AccountID {
			t.Fatalf("round trip through the own format changed the snapshot")
		}
	})
}
