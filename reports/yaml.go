package reports

import (
	"bytes"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// writeYAML renders a report as YAML with exactly the fields, names and
// order of its JSON form (the JSON is decoded into YAML nodes, which keep
// the order, and re-styled as block YAML).
func writeYAML(w io.Writer, r Report) error {
	var js bytes.Buffer
	if err := writeJSON(&js, r); err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(js.Bytes(), &doc); err != nil {
		return fmt.Errorf("yaml: %w", err)
	}
	restyle(&doc)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("yaml: %w", err)
	}
	return enc.Close()
}

// restyle drops the flow and quoting styles JSON gave the nodes, so the
// encoder writes block YAML and quotes only where YAML needs it. Empty
// lists and maps stay in flow style ([] and {}).
func restyle(n *yaml.Node) {
	n.Style = 0
	if (n.Kind == yaml.SequenceNode || n.Kind == yaml.MappingNode) && len(n.Content) == 0 {
		n.Style = yaml.FlowStyle
	}
	for _, c := range n.Content {
		restyle(c)
	}
}
