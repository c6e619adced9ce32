package agent

import (
	"testing"

	"ppo/internal/checkpoint"
)

// FuzzParseCheckpoint: no input panics the checkpoint reader, and what it
// accepts re-encodes to the same bytes.
func FuzzParseCheckpoint(f *testing.F) {
	c := &checkpoint.Checkpoint{Sections: map[string][]byte{"policy": []byte{1, 2, 3}, "state": []byte(`{"update":1}`)}}
	b, _ := c.MarshalBinary()
	f.Add(b)
	f.Add([]byte("PPOCKPT1"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := checkpoint.Parse(data)
		if err != nil {
			return
		}
		out, _ := c.MarshalBinary()
		if string(out) != string(data) {
			t.Fatal("accepted checkpoint does not re-encode to itself")
		}
		// The sections must not crash the policy and state decoders either.
		FromCheckpoint(c)
	})
}
