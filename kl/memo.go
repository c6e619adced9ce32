package kl

import "math"

// A categorical KL penalty compares the network's logits with the
// behaviour policy's, and the behaviour policy's rows come back in every
// epoch of an update. sideMemo remembers what the forward pass computed
// from each row of one side, keyed by the row's bits, so that a minibatch
// whose rows were all seen before copies its results instead of
// recomputing two exps per element and a log per row. The results are
// those of the same arithmetic on the same bits, so nothing changes but
// the time. A side whose rows never repeat (the network's own logits)
// stops being remembered after missStreak minibatches in a row without a
// hit, costing one lookup per minibatch from then on.

// missStreak is how many minibatches in a row may miss before a side
// stops storing its rows.
const missStreak = 32

// sideMemo is an open-addressing table of rows of k elements and their
// results, width values per row. It starts with room for 2n rows and is
// emptied when half full; if no minibatch hit since the last emptying, the
// table was too small to see a repeat (an update's batch spans several
// minibatches), so it doubles instead, up to about memoBytes.
type sideMemo[T float] struct {
	k, width int
	mask     int      // slots-1, slots a power of two
	keys     []uint64 // slots×k row bits
	vals     []T
	stamp    []uint32 // the generation a slot was written in; live if == gen
	gen      uint32
	live     int
	misses   int  // minibatches in a row with a missing row
	hit      bool // a minibatch hit since the table was last emptied
}

// memoBytes bounds a table's size.
const memoBytes = 8 << 20

func newSideMemo[T float](n, k, width int) *sideMemo[T] {
	m := &sideMemo[T]{k: k, width: width}
	slots := 1
	for slots < 4*n {
		slots *= 2
	}
	m.alloc(slots)
	return m
}

// alloc empties the table with room for slots rows.
func (m *sideMemo[T]) alloc(slots int) {
	m.mask, m.gen, m.live, m.hit = slots-1, 1, 0, false
	m.keys, m.vals, m.stamp = make([]uint64, slots*m.k), make([]T, slots*m.width), make([]uint32, slots)
}

// active reports whether the side is still worth remembering.
func (m *sideMemo[T]) active() bool { return m.misses < missStreak }

// find returns the slot holding the row with bits key, or the empty slot
// where it belongs and false.
func (m *sideMemo[T]) find(key []uint64) (int, bool) {
	h := uint64(14695981039346656037)
	for _, b := range key {
		h = (h ^ b) * 1099511628211
	}
	for s := int(h^h>>29) & m.mask; ; s = (s + 1) & m.mask {
		if m.stamp[s] != m.gen {
			return s, false
		}
		row := m.keys[s*m.k : (s+1)*m.k]
		same := true
		for j, b := range key {
			if row[j] != b {
				same = false
				break
			}
		}
		if same {
			return s, true
		}
	}
}

// store writes a row's key and results into slot s (from find), growing
// or clearing the table first if it is half full.
func (m *sideMemo[T]) store(s int, key []uint64, vals []T) {
	if slots := len(m.stamp); 2*(m.live+1) > slots {
		if !m.hit && 2*slots*(m.k+m.width)*8 <= memoBytes {
			m.alloc(2 * slots)
		} else {
			m.gen++
			m.live, m.hit = 0, false
			if m.gen == 0 { // the stamps wrapped: clear them for real
				clear(m.stamp)
				m.gen = 1
			}
		}
		s, _ = m.find(key)
	}
	m.stamp[s] = m.gen
	m.live++
	copy(m.keys[s*m.k:], key)
	copy(m.vals[s*m.width:], vals)
}

// rowBits writes the bits of row into key.
func rowBits[T float](key []uint64, row []T) {
	switch r := any(row).(type) {
	case []float32:
		for j, v := range r {
			key[j] = uint64(math.Float32bits(v))
		}
	case []float64:
		for j, v := range r {
			key[j] = math.Float64bits(v)
		}
	}
}
