package configs

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"ppo/kl"
)

//go:embed cartpole-adaptive-kl.yaml
var embedded []byte

// Error is a configuration problem at one field path. Its message is a single line,
// "config: <path>: <problem>", or "config: <problem>" when no field is involved.
type Error struct {
	Path    string // dotted field path such as "ppo.epochs" or "policy.hidden[1]"; may be empty
	Problem string // what is wrong, without the path
	Err     error  // underlying error, if any
}

func (e *Error) Error() string {
	if e.Path == "" {
		return "config: " + oneLine(e.Problem)
	}
	p := e.Path
	if strings.IndexFunc(p, unicode.IsControl) >= 0 || !utf8.ValidString(p) {
		p = strconv.Quote(p) // keys are free text in env.params and in unknown fields
	}
	return "config: " + p + ": " + oneLine(e.Problem)
}

func (e *Error) Unwrap() error { return e.Err }

func errorf(path, format string, args ...any) *Error {
	return &Error{Path: path, Problem: oneLine(fmt.Sprintf(format, args...))}
}

// oneLine keeps messages on one line whatever text they quote.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// Embedded parses the configuration shipped inside the binary, configs/cartpole-adaptive-kl.yaml.
func Embedded() (*Config, error) {
	return Parse(embedded)
}

// Load reads the YAML file at path on top of Default and validates the result.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Problem: oneLine(err.Error()), Err: err}
	}
	return Parse(data)
}

// Parse reads one YAML document on top of Default and validates the result. Keys absent
// from the document keep their defaults; unknown keys and values of the wrong type are refused.
func Parse(data []byte) (*Config, error) {
	root, err := parseDocument(data)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, errorf("", "empty document")
	}
	root = deref(root)
	if root.Kind != yaml.MappingNode {
		return nil, errorf("", "top level must be a mapping of sections, got %s", describe(root))
	}
	c := Default()
	if err := decode(root, reflect.ValueOf(c).Elem(), ""); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// parseDocument returns the content of the only document in data, or nil if there is none
// or it is empty.
func parseDocument(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, syntaxError(err)
	default:
		return nil, errorf("", "multiple YAML documents; want exactly one")
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	n := doc.Content[0]
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil, nil
	}
	return n, nil
}

func syntaxError(err error) *Error {
	msg := strings.TrimPrefix(oneLine(err.Error()), "yaml: ")
	return &Error{Problem: "invalid YAML: " + msg, Err: err}
}

// Set applies one "path=value" override, such as "ppo.learning_rate=1e-3" or
// "policy.hidden=[128,128]". The value is read as a YAML scalar or flow collection with the
// same strictness as a file; an empty value is the empty string. A mapping value merges into
// the section or map at path; a list replaces. Set checks the path and the type only:
// call Validate after the last override, since overrides may be valid only together.
func (c *Config) Set(assignment string) error {
	if !utf8.ValidString(assignment) {
		return errorf("", "--set %q: not valid UTF-8", assignment)
	}
	path, value, ok := strings.Cut(assignment, "=")
	if !ok {
		return errorf("", "--set %q: missing '=' (want path=value)", assignment)
	}
	path = strings.TrimSpace(path)
	if path == "" {
		return errorf("", "--set %q: empty path (want path=value)", assignment)
	}
	node, err := parseValue(path, value)
	if err != nil {
		return err
	}

	v := reflect.ValueOf(c).Elem()
	parts := strings.Split(path, ".")
	var field reflect.StructField // the last struct field on the path
	for i, name := range parts {
		here := strings.Join(parts[:i+1], ".")
		if name == "" {
			return errorf(path, "empty element in path")
		}
		switch v.Kind() {
		case reflect.Struct:
			f, ok := fieldByTag(v, name)
			if ok {
				field, _ = v.Type().FieldByName(structFieldName(v, name))
			}
			if !ok {
				if r, isRef := v.Addr().Interface().(*ReferenceConfig); isRef && i == len(parts)-1 {
					if handled, err := r.decodeLegacy(name, node, here); handled {
						return err
					}
				}
				return unknownField(here, name, v.Type())
			}
			v = f
		case reflect.Map:
			if i != len(parts)-1 {
				return errorf(path, "%s is a number and has no fields", here)
			}
			if v.IsNil() {
				v.Set(reflect.MakeMap(v.Type()))
			}
			elem := reflect.New(v.Type().Elem()).Elem()
			if err := decode(node, elem, here); err != nil {
				return err
			}
			v.SetMapIndex(reflect.ValueOf(name), elem)
			return nil
		default:
			prev := strings.Join(parts[:i], ".")
			return errorf(here, "unknown field %q (%s has no fields)", name, prev)
		}
	}
	if kind := field.Tag.Get("path"); kind != "" && strings.TrimSpace(value) == "" {
		// An unset shell variable gives an empty path: refused, as --grid
		// refuses an empty value, rather than silently dropping the file.
		return errorf(path, "--set %s= gives an empty %s path (an unset shell variable?); write %s='' to clear it", path, kind, path)
	}
	return decode(node, v, path)
}

// structFieldName is the Go name of the field of struct v whose yaml name
// is name.
func structFieldName(v reflect.Value, name string) string {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if yamlName(t.Field(i)) == name {
			return t.Field(i).Name
		}
	}
	return ""
}

// parseValue reads the value of a --set as one YAML node.
func parseValue(path, value string) (*yaml.Node, error) {
	if strings.TrimSpace(value) == "" {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}, nil
	}
	n, err := parseDocument([]byte(value))
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, &Error{Path: path, Problem: fmt.Sprintf("cannot read value %q: %s", value, e.Problem), Err: e.Err}
		}
		return nil, err
	}
	if n == nil {
		// A comment-only value, or an explicit null; decode reports a missing value.
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: value}, nil
	}
	return n, nil
}

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// decode stores node into v, the field at path, refusing anything the schema does not allow.
// Mappings merge into structs and maps; sequences replace slices.
func decode(node *yaml.Node, v reflect.Value, path string) error {
	n := deref(node)
	isNull := n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
	switch v.Kind() {
	case reflect.Struct:
		if isNull {
			return nil // an empty section keeps its defaults
		}
		if n.Kind != yaml.MappingNode {
			return errorf(path, "must be a mapping of fields, got %s", describe(n))
		}
		r, isRef := v.Addr().Interface().(*ReferenceConfig)
		if isRef {
			if err := checkLegacyMix(n, path); err != nil {
				return err
			}
		}
		return eachKey(n, path, func(key, kp string, val *yaml.Node) error {
			f, ok := fieldByTag(v, key)
			if !ok {
				if isRef {
					if handled, err := r.decodeLegacy(key, val, kp); handled {
						return err
					}
				}
				return unknownField(kp, key, v.Type())
			}
			return decode(val, f, kp)
		})

	case reflect.Map:
		if isNull {
			return nil
		}
		if n.Kind != yaml.MappingNode {
			return errorf(path, "must be a mapping of names to numbers, got %s", describe(n))
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		return eachKey(n, path, func(key, kp string, val *yaml.Node) error {
			elem := reflect.New(v.Type().Elem()).Elem()
			if err := decode(val, elem, kp); err != nil {
				return err
			}
			v.SetMapIndex(reflect.ValueOf(key), elem)
			return nil
		})

	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			if isNull {
				return errorf(path, "missing value")
			}
			what := "integers"
			switch v.Type().Elem().Kind() {
			case reflect.Struct:
				what = "mappings"
			case reflect.String:
				what = "strings, such as [python3, my_env.py]"
			}
			return errorf(path, "must be a list of %s, got %s", what, describe(n))
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, e := range n.Content {
			el := s.Index(i)
			if el.Kind() == reflect.Struct {
				// Elements start with empty maps, as Default's do, so that a written
				// config reads back equal.
				for j := 0; j < el.NumField(); j++ {
					if f := el.Field(j); f.Kind() == reflect.Map {
						f.Set(reflect.MakeMap(f.Type()))
					}
				}
			}
			if err := decode(e, el, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	}

	if n.Kind != yaml.ScalarNode {
		return errorf(path, "must be %s, got %s", kindName(v.Kind()), describe(n))
	}
	if isNull {
		return errorf(path, "missing value")
	}
	if v.Kind() == reflect.String {
		// Any scalar is taken literally, so name: 2024 is the string "2024".
		v.SetString(n.Value)
		return nil
	}
	var x any
	if err := n.Decode(&x); err != nil {
		return &Error{Path: path, Problem: fmt.Sprintf("must be %s, got %s", kindName(v.Kind()), describe(n)), Err: err}
	}
	switch v.Kind() {
	case reflect.Bool:
		b, ok := x.(bool)
		if !ok {
			return errorf(path, "must be true or false, got %s", describe(n))
		}
		v.SetBool(b)
	case reflect.Float64:
		switch x := x.(type) {
		case int:
			v.SetFloat(float64(x))
		case uint64:
			v.SetFloat(float64(x))
		case float64:
			v.SetFloat(x)
		default:
			return errorf(path, "must be a number, got %s", describe(n))
		}
	case reflect.Int:
		i, err := toInt(x, n, path)
		if err != nil {
			return err
		}
		v.SetInt(i)
	case reflect.Uint64:
		u, err := toUint(x, n, path)
		if err != nil {
			return err
		}
		v.SetUint(u)
	default:
		panic("configs: unsupported field kind " + v.Kind().String())
	}
	return nil
}

// toInt accepts integers, and floats with an integral value such as 1e5.
func toInt(x any, n *yaml.Node, path string) (int64, error) {
	switch x := x.(type) {
	case int:
		return int64(x), nil
	case uint64:
		return 0, errorf(path, "out of range, got %s", n.Value)
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) {
			return 0, errorf(path, "must be an integer, got %s", describe(n))
		}
		if x < -(1<<63) || x >= 1<<63 {
			return 0, errorf(path, "out of range, got %s", n.Value)
		}
		return int64(x), nil
	}
	return 0, errorf(path, "must be an integer, got %s", describe(n))
}

// toUint accepts non-negative integers, and floats with such a value.
func toUint(x any, n *yaml.Node, path string) (uint64, error) {
	switch x := x.(type) {
	case int:
		if x < 0 {
			return 0, errorf(path, "must be >= 0, got %s", n.Value)
		}
		return uint64(x), nil
	case uint64:
		return x, nil
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) {
			return 0, errorf(path, "must be an integer, got %s", describe(n))
		}
		if x < 0 {
			return 0, errorf(path, "must be >= 0, got %s", n.Value)
		}
		if x >= 1<<64 {
			return 0, errorf(path, "out of range, got %s", n.Value)
		}
		return uint64(x), nil
	}
	return 0, errorf(path, "must be an integer, got %s", describe(n))
}

// keyOf returns a mapping key, which must be a plain string.
func keyOf(k *yaml.Node, path string) (string, error) {
	k = deref(k)
	if k.Kind != yaml.ScalarNode {
		return "", errorf(path, "keys must be names, got %s", describe(k))
	}
	if k.Value == "" {
		return "", errorf(path, "empty key")
	}
	return k.Value, nil
}

// fieldByTag returns the field of struct v whose yaml name is name.
func fieldByTag(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if yamlName(t.Field(i)) == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

// unknownField reports a key that struct t lacks, suggesting a close match.
func unknownField(path, key string, t reflect.Type) error {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		names = append(names, yamlName(t.Field(i)))
	}
	if best := Closest(key, names); best != "" {
		return errorf(path, "unknown field %q (did you mean %q?)", key, best)
	}
	return errorf(path, "unknown field %q", key)
}

// Closest is the name among names a few edits from key, for a
// did-you-mean: only when it is at most 2 + len(key)/5 edits away and key
// is longer than those edits; "" otherwise.
func Closest(key string, names []string) string {
	best, bestDist := "", min(2+len(key)/5, len(key))
	for _, name := range names {
		if d := editDistance(key, name); d < bestDist {
			best, bestDist = name, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Uint64:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	}
	return k.String()
}

// describe names a node for "got ..." in messages: strings quoted, other scalars as written.
func describe(n *yaml.Node) string {
	n = deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if r := []rune(v); len(r) > 40 {
			v = string(r[:40]) + "..."
		}
		switch n.ShortTag() {
		case "!!str", "!!binary", "!!timestamp":
			return strconv.Quote(v)
		case "!!null":
			return "null"
		}
		return oneLine(v)
	}
	return "nothing"
}

// eachKey calls f for every key of the mapping node n in order, with the
// key's path, refusing duplicate keys.
func eachKey(n *yaml.Node, path string, f func(key, kp string, val *yaml.Node) error) error {
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, err := keyOf(n.Content[i], path)
		if err != nil {
			return err
		}
		kp := join(path, key)
		if seen[key] {
			return errorf(kp, "duplicate key")
		}
		seen[key] = true
		if err := f(key, kp, n.Content[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// Keys of kl.reference from before it had a controller section, and what they became.
var legacyReferenceKeys = map[string]string{
	"coef":   "controller.init_beta",
	"target": "controller.kind, preset and target",
}

// decodeLegacy reads a key kl.reference had before its controller section, with its old
// meaning: coef: c is controller.init_beta: c; target: t > 0 adapts the coefficient with
// the schulman2017 rule towards t (kind adaptive, preset schulman2017, target t), and
// target: 0 keeps it fixed (kind fixed). handled is false for any other key.
func (r *ReferenceConfig) decodeLegacy(key string, val *yaml.Node, path string) (handled bool, err error) {
	if _, ok := legacyReferenceKeys[key]; !ok {
		return false, nil
	}
	var x float64
	if err := decode(val, reflect.ValueOf(&x).Elem(), path); err != nil {
		return true, err
	}
	c := &r.Controller
	switch {
	case key == "coef":
		c.InitBeta = x
	case x == 0:
		c.Kind = ControllerFixed
	default:
		// A negative target is refused by Validate, as it always was.
		c.Kind, c.Preset, c.Target = ControllerAdaptive, kl.PresetSchulman2017, x
	}
	return true, nil
}

// checkLegacyMix refuses a kl.reference mapping that has both the controller section and
// a key it replaced, since which one wins would depend on their order.
func checkLegacyMix(n *yaml.Node, path string) error {
	if lookup(n, "controller") == nil {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := deref(n.Content[i]).Value
		if now, ok := legacyReferenceKeys[k]; ok {
			return errorf(join(path, k), "old spelling of %s.%s; give one or the other, not both", path, now)
		}
	}
	return nil
}
