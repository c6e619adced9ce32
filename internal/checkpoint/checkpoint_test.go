package checkpoint

import "testing"

// TestCheckpointRefusals: foreign, truncated and bit-flipped checkpoints
// are errors, never panics.
func TestCheckpointRefusals(t *testing.T) {
	c := &Checkpoint{Sections: map[string][]byte{"a": []byte("hello"), "b": nil}}
	b, _ := c.MarshalBinary()
	back, err := Parse(b)
	if err != nil || string(back.Sections["a"]) != "hello" || len(back.Sections) != 2 {
		t.Fatalf("round trip: %v %v", back, err)
	}
	for i := 0; i < len(b); i++ {
		if _, err := Parse(b[:i]); err == nil {
			t.Fatalf("truncation at %d accepted", i)
		}
		d := append([]byte(nil), b...)
		d[i] ^= 1
		if _, err := Parse(d); err == nil {
			t.Fatalf("bit flip at %d accepted", i)
		}
	}
}

// TestVersions: version 1 files (written before the config section) are
// read and re-encode unchanged; unknown versions are refused.
func TestVersions(t *testing.T) {
	for _, v := range []int{1, 2} {
		b, _ := (&Checkpoint{Version: v, Sections: map[string][]byte{"a": {1}}}).MarshalBinary()
		c, err := Parse(b)
		if err != nil || c.Version != v {
			t.Fatalf("version %d: %v, read as %d", v, err, c.Version)
		}
		if out, _ := c.MarshalBinary(); string(out) != string(b) {
			t.Fatalf("version %d does not re-encode to itself", v)
		}
	}
	b, _ := (&Checkpoint{Version: 3}).MarshalBinary()
	if _, err := Parse(b); err == nil || err.Error() != "checkpoint version 3, this build reads 1 to 2" {
		t.Fatalf("version 3: %v", err)
	}
}
