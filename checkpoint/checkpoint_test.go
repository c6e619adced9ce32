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
