package tfevents

import (
	"bytes"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The reader below is written from the TFRecord and protobuf wire-format
// specifications alone and shares no code with the writer: its CRC32C is
// the bitwise reflected algorithm (polynomial 0x82f63b78), not hash/crc32,
// and its protobuf decoder is a generic field walker.

// crc32cBitwise is CRC-32C (Castagnoli), reflected, init and xorout
// 0xffffffff, computed one bit at a time.
func crc32cBitwise(b []byte) uint32 {
	crc := ^uint32(0)
	for _, x := range b {
		crc ^= uint32(x)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0x82f63b78
			} else {
				crc >>= 1
			}
		}
	}
	return ^crc
}

func mask(crc uint32) uint32 {
	rot := crc>>15 | crc<<17 // rotate right by 15
	return rot + 0xa282ead8
}

func le64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// readRecords splits a TFRecord stream, checking both CRCs of each record.
func readRecords(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 12 {
			t.Fatalf("record %d: %d trailing bytes, too short for a header", len(out), len(b))
		}
		n := le64(b[:8])
		if got, want := le32(b[8:12]), mask(crc32cBitwise(b[:8])); got != want {
			t.Fatalf("record %d: length CRC %#x, want %#x", len(out), got, want)
		}
		if uint64(len(b)-12) < n+4 {
			t.Fatalf("record %d: length %d overruns the stream", len(out), n)
		}
		data := b[12 : 12+n]
		if got, want := le32(b[12+n:16+n]), mask(crc32cBitwise(data)); got != want {
			t.Fatalf("record %d: data CRC %#x, want %#x", len(out), got, want)
		}
		out = append(out, data)
		b = b[16+n:]
	}
	return out
}

// field is one protobuf field as found on the wire.
type field struct {
	num  int
	wire int
	u    uint64 // varint, fixed64 or fixed32 payload
	b    []byte // length-delimited payload
}

func varint(t *testing.T, b []byte) (uint64, int) {
	t.Helper()
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	t.Fatalf("bad varint % x", b)
	return 0, 0
}

func fields(t *testing.T, b []byte) []field {
	t.Helper()
	var fs []field
	for len(b) > 0 {
		key, n := varint(t, b)
		b = b[n:]
		f := field{num: int(key >> 3), wire: int(key & 7)}
		switch f.wire {
		case 0:
			f.u, n = varint(t, b)
			b = b[n:]
		case 1:
			f.u = le64(b[:8])
			b = b[8:]
		case 2:
			l, n := varint(t, b)
			f.b = b[n : n+int(l)]
			b = b[n+int(l):]
		case 5:
			f.u = uint64(le32(b[:4]))
			b = b[4:]
		default:
			t.Fatalf("unexpected wire type %d", f.wire)
		}
		fs = append(fs, f)
	}
	return fs
}

type value struct {
	tag string
	v   float32
	set bool
}

type event struct {
	wall    float64
	step    int64
	version string
	summary []value
	hasSum  bool
}

func decodeEvent(t *testing.T, b []byte) event {
	t.Helper()
	var e event
	for _, f := range fields(t, b) {
		switch {
		case f.num == 1 && f.wire == 1:
			e.wall = math.Float64frombits(f.u)
		case f.num == 2 && f.wire == 0:
			e.step = int64(f.u)
		case f.num == 3 && f.wire == 2:
			e.version = string(f.b)
		case f.num == 5 && f.wire == 2:
			e.hasSum = true
			for _, sf := range fields(t, f.b) {
				if sf.num != 1 || sf.wire != 2 {
					t.Fatalf("summary field %d wire %d", sf.num, sf.wire)
				}
				var v value
				for _, vf := range fields(t, sf.b) {
					switch {
					case vf.num == 1 && vf.wire == 2:
						v.tag = string(vf.b)
					case vf.num == 2 && vf.wire == 5:
						v.v, v.set = math.Float32frombits(uint32(vf.u)), true
					default:
						t.Fatalf("value field %d wire %d", vf.num, vf.wire)
					}
				}
				e.summary = append(e.summary, v)
			}
		default:
			t.Fatalf("event field %d wire %d", f.num, f.wire)
		}
	}
	return e
}

// TestCRC32CCheckValue: the reader's CRC reproduces the catalogued check
// value of CRC-32C ("123456789" -> 0xe3069283, from the CRC RevEng
// catalogue and RFC 3720 section B.4's algorithm), and agrees with the
// writer's table-driven CRC on random data.
func TestCRC32CCheckValue(t *testing.T) {
	if got := crc32cBitwise([]byte("123456789")); got != 0xe3069283 {
		t.Fatalf("bitwise CRC32C = %#x, want 0xe3069283", got)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 50 {
		b := make([]byte, rng.IntN(300))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		if got, want := maskedCRC(b), mask(crc32cBitwise(b)); got != want {
			t.Fatalf("case %d (%d bytes): writer's masked CRC %#x, reader's %#x", i, len(b), got, want)
		}
	}
}

// TestGoldenRecord checks the exact bytes of a stream holding the version
// event and one scalar event, derived by hand:
//
// Version event (wall_time 2, no step):
//
//	09 0000000000000040    wall_time: key 1<<3|1, float64 2.0 = 0x4000000000000000 LE
//	1a 0d "brain.Event:2"  file_version: key 3<<3|2, length 13
//
// 24 bytes = 0x18. Scalar event (wall_time 2, step 3, tag "a", value 1.5):
//
//	09 0000000000000040    wall_time
//	10 03                  step: key 2<<3|0, varint 3
//	2a 0a                  summary: key 5<<3|2, length 10
//	   0a 08               Summary.value: key 1<<3|2, length 8
//	      0a 01 61         Value.tag: key 1<<3|2, length 1, "a"
//	      15 0000c03f      Value.simple_value: key 2<<3|5, float32 1.5 = 0x3fc00000 LE
//
// 23 bytes = 0x17. Each record is the 8-byte LE length, the masked CRC of
// those 8 bytes, the data, and the masked CRC of the data. The four CRCs
// were computed with crc32cBitwise (checked above against the catalogue)
// and mask, and separately with a bitwise CRC-32C in Python (same check
// value), then written here as little-endian constants.
func TestGoldenRecord(t *testing.T) {
	want := "1800000000000000" + "a37f4b22" +
		"090000000000000040" + "1a0d" + hex.EncodeToString([]byte("brain.Event:2")) + "ff2ee0e7" +
		"1700000000000000" + "e7cef81e" +
		"090000000000000040" + "1003" + "2a0a" + "0a08" + "0a0161" + "150000c03f" + "ed906af8"

	var buf bytes.Buffer
	w, err := NewWriter(&buf, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Scalars(3, 2, map[string]float64{"a": 1.5}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(buf.Bytes()); got != want {
		t.Fatalf("stream\n got %s\nwant %s", got, want)
	}
}

// TestRoundTrip writes an event file with many scalar events and reads it
// back with the independent reader.
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FilePrefix+"1700000000.testhost")
	w, err := CreateFile(path, 1700000000.25)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	type step struct {
		step int64
		wall float64
		vals map[string]float64
	}
	var steps []step
	for i := range 40 {
		s := step{step: int64(i * 2048), wall: 1700000000.25 + float64(i)*0.5, vals: map[string]float64{
			"train/kl":       rng.ExpFloat64() * 0.01,
			"train/beta":     math.Exp(rng.NormFloat64()),
			"episode/return": rng.Float64() * 500,
			"zero":           0, // must still be written: simple_value is in a oneof
		}}
		if i == 5 {
			s.step = -3 // negative steps are int64 varints, ten bytes long
			s.vals["λ unicode"] = -1e30
		}
		steps = append(steps, s)
		if err := w.Scalars(s.step, s.wall, s.vals); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Scalars(99, 1, nil); err != nil { // writes nothing
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Path() != path {
		t.Errorf("Path() = %q", w.Path())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs := readRecords(t, b)
	if len(recs) != 1+len(steps) {
		t.Fatalf("%d records, want %d", len(recs), 1+len(steps))
	}
	first := decodeEvent(t, recs[0])
	if first.version != "brain.Event:2" || first.wall != 1700000000.25 || first.step != 0 || first.hasSum {
		t.Fatalf("first event %+v", first)
	}
	for i, s := range steps {
		e := decodeEvent(t, recs[i+1])
		if e.step != s.step || e.wall != s.wall || e.version != "" || !e.hasSum {
			t.Fatalf("event %d: step %d wall %v version %q; want step %d wall %v", i, e.step, e.wall, e.version, s.step, s.wall)
		}
		var tags []string
		for tag := range s.vals {
			tags = append(tags, tag)
		}
		sort.Strings(tags)
		if len(e.summary) != len(tags) {
			t.Fatalf("event %d: %d values, want %d", i, len(e.summary), len(tags))
		}
		for j, v := range e.summary {
			if v.tag != tags[j] || !v.set || v.v != float32(s.vals[tags[j]]) {
				t.Errorf("event %d value %d: %+v, want %s = %v", i, j, v, tags[j], float32(s.vals[tags[j]]))
			}
		}
	}
}

// TestCreate checks the file name TensorBoard looks for and that events
// reach the file on Flush, before Close.
func TestCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tb")
	w, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	name := filepath.Base(w.Path())
	host, _ := os.Hostname()
	parts := strings.SplitN(strings.TrimPrefix(name, FilePrefix), ".", 2)
	if !strings.HasPrefix(name, FilePrefix) || len(parts) != 2 || parts[1] != host {
		t.Fatalf("file name %q, want %s<unix seconds>.%s", name, FilePrefix, host)
	}
	if err := w.Scalars(1, 5, map[string]float64{"x": 2}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(w.Path())
	recs := readRecords(t, b)
	if len(recs) != 2 || decodeEvent(t, recs[1]).summary[0].v != 2 {
		t.Fatalf("after Flush the file holds %d records", len(recs))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Scalars(2, 5, map[string]float64{"x": 2}); err == nil {
		t.Error("Scalars after Close succeeded")
	}
}

func TestRefusals(t *testing.T) {
	w, err := NewWriter(&bytes.Buffer{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Scalars(1, 0, map[string]float64{"bad\xff": 1}); err == nil {
		t.Error("invalid UTF-8 tag accepted")
	}
	if _, err := CreateFile(filepath.Join(t.TempDir(), "no", "such", "dir", "f"), 0); err == nil {
		t.Error("CreateFile into a missing directory succeeded")
	}
}
