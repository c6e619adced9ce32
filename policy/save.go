package policy

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// Weight format, version 1. All integers are little-endian.
//
//	magic    [8]byte  "PPOWGT01"
//	hdrLen   uint32   length of the JSON header
//	header   JSON     {"spec": Spec, "params": [{"name", "rows", "cols"}...]}
//	data     per param in header order: rows*cols values, float32 or float64
//	         as spec.Float64 says, row-major
//	crc      uint32   CRC-32C (Castagnoli) of everything before it
//
// The JSON header keeps the file self-describing; the checksum catches
// truncation and bit rot.
const weightMagic = "PPOWGT01"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type weightHeader struct {
	Spec   Spec          `json:"spec"`
	Params []paramHeader `json:"params"`
}

type paramHeader struct {
	Name string `json:"name"`
	Rows int    `json:"rows"`
	Cols int    `json:"cols"`
}

// MarshalBinary encodes the spec and weights in the weight format above.
func (p *Policy) MarshalBinary() ([]byte, error) {
	h := weightHeader{Spec: p.Spec}
	for _, prm := range p.params {
		s := prm.T.Shape()
		h.Params = append(h.Params, paramHeader{Name: prm.Name, Rows: s[0], Cols: s[1]})
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	var b bytes.Buffer
	b.WriteString(weightMagic)
	binary.Write(&b, binary.LittleEndian, uint32(len(hdr)))
	b.Write(hdr)
	for _, prm := range p.params {
		switch d := prm.T.Data().(type) {
		case []float32:
			for _, v := range d {
				binary.Write(&b, binary.LittleEndian, math.Float32bits(v))
			}
		case []float64:
			for _, v := range d {
				binary.Write(&b, binary.LittleEndian, math.Float64bits(v))
			}
		}
	}
	binary.Write(&b, binary.LittleEndian, crc32.Checksum(b.Bytes(), castagnoli))
	return b.Bytes(), nil
}

// Unmarshal decodes a policy written by MarshalBinary, refusing anything
// truncated, corrupt or inconsistent.
func Unmarshal(data []byte) (*Policy, error) {
	if len(data) < len(weightMagic)+8 || string(data[:len(weightMagic)]) != weightMagic {
		return nil, errors.New("policy: not a weight file (bad magic)")
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, errors.New("policy: weight file checksum mismatch (corrupt or truncated)")
	}
	rest := body[len(weightMagic):]
	n := binary.LittleEndian.Uint32(rest)
	rest = rest[4:]
	if uint64(n) > uint64(len(rest)) {
		return nil, errors.New("policy: weight file header overruns the file")
	}
	var h weightHeader
	if err := json.Unmarshal(rest[:n], &h); err != nil {
		return nil, fmt.Errorf("policy: weight file header: %w", err)
	}
	rest = rest[n:]
	if err := h.Spec.Validate(); err != nil {
		return nil, err
	}
	size := 4
	if h.Spec.Float64 {
		size = 8
	}
	// Check the data can hold the network before allocating it, so a
	// crafted header cannot ask for gigabytes.
	if c, ok := h.Spec.paramCount(); !ok || c*size != len(rest) {
		return nil, fmt.Errorf("policy: weight file holds %d bytes of weights, its spec needs %d", len(rest), c*size)
	}
	p, err := New(h.Spec, 0)
	if err != nil {
		return nil, err
	}
	if len(h.Params) != len(p.params) {
		return nil, fmt.Errorf("policy: weight file has %d tensors, spec needs %d", len(h.Params), len(p.params))
	}
	for i, ph := range h.Params {
		prm := p.params[i]
		s := prm.T.Shape()
		if ph.Name != prm.Name || ph.Rows != s[0] || ph.Cols != s[1] {
			return nil, fmt.Errorf("policy: weight file tensor %d is %s[%d,%d], want %s%v", i, ph.Name, ph.Rows, ph.Cols, prm.Name, s)
		}
		need := s[0] * s[1] * size
		if len(rest) < need {
			return nil, errors.New("policy: weight file is truncated")
		}
		switch d := prm.T.Data().(type) {
		case []float32:
			for j := range d {
				d[j] = math.Float32frombits(binary.LittleEndian.Uint32(rest[4*j:]))
			}
		case []float64:
			for j := range d {
				d[j] = math.Float64frombits(binary.LittleEndian.Uint64(rest[8*j:]))
			}
		}
		rest = rest[need:]
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("policy: weight file has %d trailing bytes", len(rest))
	}
	return p, nil
}

// CopyFrom overwrites p's weights with q's; both must have the same spec.
func (p *Policy) CopyFrom(q *Policy) error {
	if len(p.params) != len(q.params) || p.Spec.Float64 != q.Spec.Float64 {
		return errors.New("policy: copy between different networks")
	}
	for i, prm := range p.params {
		if prm.T.Len() != q.params[i].T.Len() {
			return errors.New("policy: copy between different networks")
		}
		switch d := prm.T.Data().(type) {
		case []float32:
			copy(d, q.params[i].T.Data().([]float32))
		case []float64:
			copy(d, q.params[i].T.Data().([]float64))
		}
	}
	return nil
}

// paramCount is the number of weights a network of spec s has; ok is false
// if it would overflow.
func (s Spec) paramCount() (n int, ok bool) {
	const limit = 1 << 40
	add := func(in, out int) {
		n += in*out + out
	}
	layers := func() {
		in := s.ObsDim
		for _, h := range s.Hidden {
			if in > limit/max(h, 1) {
				n = limit
				return
			}
			add(in, h)
			in = h
		}
	}
	layers()
	if !s.Shared {
		layers()
	}
	last := s.Hidden[len(s.Hidden)-1]
	add(last, s.ActDim)
	add(last, 1)
	if !s.Discrete {
		n += s.ActDim
	}
	return n, n < limit
}
