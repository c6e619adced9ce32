package configs

import (
	"fmt"
	"reflect"
)

// Diff lists the leaf fields whose values differ between a and b, in schema
// order, each as "path (A vs B)" with the values in flow YAML. Empty and
// nil maps and slices count as equal.
func Diff(a, b *Config) []string {
	var out []string
	var walk func(x, y reflect.Value, path string)
	walk = func(x, y reflect.Value, path string) {
		t := x.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			p := join(path, yamlName(f))
			if f.Type.Kind() == reflect.Struct {
				walk(x.Field(i), y.Field(i), p)
				continue
			}
			xs, ys := flowText(x.Field(i)), flowText(y.Field(i))
			if xs != ys {
				out = append(out, fmt.Sprintf("%s (%s vs %s)", p, xs, ys))
			}
		}
	}
	walk(reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem(), "")
	return out
}
