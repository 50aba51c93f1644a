package baseline

import (
	"bytes"
	"errors"
	"fmt"
)

// checkJSON scans one JSON value and refuses duplicate object keys at any
// depth and nesting deeper than depth: encoding/json keeps the last of two
// equal keys, so a file could show one value to a person reading it with
// another tool and another to pvaudit. It does not validate everything
// (encoding/json does that afterwards); it only has to find structure. It
// runs in one pass without decoding values.
func checkJSON(data []byte, depth int) error {
	type frame struct {
		object bool
		keys   [][]byte
		set    map[string]struct{}
	}
	var stack []frame
	expectKey := false
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '{', '[':
			if len(stack) >= depth {
				return fmt.Errorf("JSON nested deeper than %d levels (offset %d)", depth, i)
			}
			stack = append(stack, frame{object: c == '{'})
			expectKey = c == '{'
		case '}', ']':
			if len(stack) == 0 || stack[len(stack)-1].object != (c == '}') {
				return fmt.Errorf("unbalanced %q at offset %d", c, i)
			}
			stack = stack[:len(stack)-1]
			expectKey = false
		case ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1].object
		case '"':
			end, err := stringEnd(data, i)
			if err != nil {
				return err
			}
			if expectKey && len(stack) > 0 {
				f := &stack[len(stack)-1]
				key := unescapeKey(data[i+1 : end])
				if f.set != nil {
					if _, dup := f.set[string(key)]; dup {
						return fmt.Errorf("duplicate key %q at offset %d", key, i)
					}
					f.set[string(key)] = struct{}{}
				} else {
					for _, k := range f.keys {
						if bytes.Equal(k, key) {
							return fmt.Errorf("duplicate key %q at offset %d", key, i)
						}
					}
					f.keys = append(f.keys, key)
					if len(f.keys) > 16 {
						f.set = make(map[string]struct{}, 32)
						for _, k := range f.keys {
							f.set[string(k)] = struct{}{}
						}
						f.keys = nil
					}
				}
				expectKey = false
			}
			i = end
		}
	}
	if len(stack) != 0 {
		return errors.New("unexpected end of JSON")
	}
	return nil
}

// stringEnd returns the index of the quote that closes the string opened
// at data[start].
func stringEnd(data []byte, start int) (int, error) {
	for i := start + 1; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i, nil
		}
	}
	return 0, fmt.Errorf("unterminated string at offset %d", start)
}

// unescapeKey resolves the escapes a key may use to spell another key
// ("a" and "\u0061" are the same key). Keys without a backslash are
// returned as they are.
func unescapeKey(b []byte) []byte {
	if bytes.IndexByte(b, '\\') < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			out = append(out, b[i])
			continue
		}
		i++
		switch b[i] {
		case 'u':
			if i+4 < len(b) {
				var r rune
				ok := true
				for _, h := range b[i+1 : i+5] {
					r <<= 4
					switch {
					case h >= '0' && h <= '9':
						r |= rune(h - '0')
					case h >= 'a' && h <= 'f':
						r |= rune(h - 'a' + 10)
					case h >= 'A' && h <= 'F':
						r |= rune(h - 'A' + 10)
					default:
						ok = false
					}
				}
				if ok {
					out = append(out, string(r)...)
					i += 4
					continue
				}
			}
			out = append(out, '\\', 'u')
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		default:
			out = append(out, b[i])
		}
	}
	return out
}
