package configs

import (
	"bytes"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// YAML returns the configuration as YAML with every field present, in schema order.
// Parse of the result gives a Config equal to c when c is valid.
func (c *Config) YAML() ([]byte, error) {
	root := toNode(reflect.ValueOf(c).Elem())
	for _, sec := range []struct {
		keys []string
		c    ControllerConfig
	}{{[]string{"kl", "controller"}, c.KL.Controller}, {[]string{"kl", "reference", "controller"}, c.KL.Reference.Controller}} {
		markPreset(lookup(root, sec.keys...), sec.c.Preset)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, &Error{Problem: "encoding YAML: " + oneLine(err.Error()), Err: err}
	}
	if err := enc.Close(); err != nil {
		return nil, &Error{Problem: "encoding YAML: " + oneLine(err.Error()), Err: err}
	}
	return buf.Bytes(), nil
}

// markPreset comments the factor fields of the controller section ctl that its preset
// fixes, so readers of a run's config do not mistake them for the rule in use.
func markPreset(ctl *yaml.Node, preset string) {
	h, l, u, d, ok := presetFactors(preset)
	if !ok {
		return
	}
	for name, v := range map[string]float64{"high_mult": h, "low_mult": l, "up_factor": u, "down_factor": d} {
		n := lookup(ctl, name)
		switch {
		case n == nil:
		case n.Value == fmtFloat(v):
			n.LineComment = "from preset " + preset
		default:
			n.LineComment = "not used: preset " + preset + " fixes it at " + fmtFloat(v)
		}
	}
}

// lookup returns the value node at the key path below mapping n, or nil.
func lookup(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

func toNode(v reflect.Value) *yaml.Node {
	switch v.Kind() {
	case reflect.Struct:
		n := &yaml.Node{Kind: yaml.MappingNode}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			n.Content = append(n.Content, strNode(yamlName(t.Field(i))), toNode(v.Field(i)))
		}
		return n
	case reflect.Map:
		n := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
		for _, k := range sortedKeys(v) {
			n.Content = append(n.Content, strNode(k), toNode(v.MapIndex(reflect.ValueOf(k))))
		}
		if len(n.Content) > 0 {
			n.Style = 0
		}
		return n
	case reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for i := 0; i < v.Len(); i++ {
			n.Content = append(n.Content, toNode(v.Index(i)))
		}
		return n
	case reflect.String:
		return strNode(v.String())
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Value: scalarText(v)}
}

func strNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		n.Style = yaml.DoubleQuotedStyle // block styles do not keep every line break
	}
	return n
}

// scalarText writes a number or bool as YAML reads it back.
func scalarText(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Float64:
		x := v.Float()
		switch {
		case math.IsNaN(x):
			return ".nan"
		case math.IsInf(x, 1):
			return ".inf"
		case math.IsInf(x, -1):
			return "-.inf"
		}
		return fmtFloat(x)
	}
	panic("configs: unsupported field kind " + v.Kind().String())
}

func sortedKeys(m reflect.Value) []string {
	keys := make([]string, 0, m.Len())
	for _, k := range m.MapKeys() {
		keys = append(keys, k.String())
	}
	sort.Strings(keys)
	return keys
}

// FieldDoc describes one leaf field of the schema for reference tables.
type FieldDoc struct {
	Path    string // dotted path, as in files and --set
	Type    string // string, int, uint64, float, bool, []int, map[string]float, or the allowed values a|b|c
	Default string // the default, written as YAML
	Doc     string // meaning, constraints and default
}

// Fields lists every leaf field in schema order, for the README and the CLI.
func Fields() []FieldDoc {
	var out []FieldDoc
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			p := join(path, yamlName(f))
			if f.Type.Kind() == reflect.Struct {
				walk(v.Field(i), p)
				continue
			}
			typ := typeName(f.Type)
			if enum := f.Tag.Get("enum"); enum != "" {
				typ = enum
			}
			out = append(out, FieldDoc{Path: p, Type: typ, Default: flowText(v.Field(i)), Doc: f.Tag.Get("doc")})
		}
	}
	walk(reflect.ValueOf(Default()).Elem(), "")
	return out
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Float64:
		return "float"
	case reflect.Slice:
		return "[]" + typeName(t.Elem())
	case reflect.Struct:
		return "{" + strings.ToLower(strings.TrimSuffix(t.Name(), "Config")) + "}"
	case reflect.Map:
		return "map[string]" + typeName(t.Elem())
	}
	return t.Kind().String()
}

// flowText writes a value as one line of flow YAML.
func flowText(v reflect.Value) string {
	switch v.Kind() {
	case reflect.String:
		return strconv.Quote(v.String())
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = flowText(v.Index(i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Struct:
		var parts []string
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			parts = append(parts, yamlName(t.Field(i))+": "+flowText(v.Field(i)))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case reflect.Map:
		var parts []string
		for _, k := range sortedKeys(v) {
			parts = append(parts, k+": "+flowText(v.MapIndex(reflect.ValueOf(k))))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return scalarText(v)
}
