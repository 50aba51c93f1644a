package baseline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// secretKeys are condition keys whose values are secrets shared with the
// provider: reports show a digest instead (the same value gives the same
// digest, so a change still shows).
var secretKeys = []string{"sts:externalid"}

func isSecretKey(k string) bool {
	for _, s := range secretKeys {
		if strings.EqualFold(k, s) {
			return true
		}
	}
	return false
}

// redactValue replaces a secret with "<redacted sha256:…>".
func redactValue(v string) string {
	h := sha256.Sum256([]byte(v))
	return "<redacted sha256:" + hex.EncodeToString(h[:4]) + ">"
}

// redactDoc returns a canonical document with the values of secret
// condition keys redacted (the document itself when it has none).
func redactDoc(raw json.RawMessage) json.RawMessage {
	if raw == nil || !bytes.Contains(bytes.ToLower(raw), []byte("externalid")) {
		return raw
	}
	var doc map[string]any
	if json.Unmarshal(raw, &doc) != nil {
		return raw
	}
	stmts, _ := doc["Statement"].([]any)
	for _, s := range stmts {
		st, _ := s.(map[string]any)
		cond, _ := st["Condition"].(map[string]any)
		for _, keys := range cond {
			km, _ := keys.(map[string]any)
			for k, vals := range km {
				if !isSecretKey(k) {
					continue
				}
				if l, ok := vals.([]any); ok {
					for i, v := range l {
						if str, ok := v.(string); ok {
							l[i] = redactValue(str)
						}
					}
				}
			}
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return raw
	}
	return out
}
