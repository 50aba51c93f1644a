package inventory

import (
	"encoding/json"
	"io"
)

// WriteJSON writes the snapshot in pvaudit's own format, indented, with a
// trailing newline. The output is deterministic for a normalized snapshot.
func (s *Snapshot) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(s)
}
