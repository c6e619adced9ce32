// Package checkpoint reads and writes the .ckpt container: named byte sections
// with a format version and a CRC-32C. It imports nothing from the module.
package checkpoint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"sort"
)

// Checkpoint file format (.ckpt). Integers are little-endian.
//
//	magic     [8]byte "PPOCKPT1"
//	version   uint32  1 or 2
//	count     uint32  number of sections
//	sections  count × { nameLen uint16, name, dataLen uint64, data }
//	crc       uint32  CRC-32C (Castagnoli) of everything before it
//
// Sections written by the trainer:
//
//	policy   the network, in policy's weight format (it has its own checksum)
//	adam     the optimiser step and moments (Adam.MarshalBinary)
//	state    JSON: update, timesteps, controller betas, normaliser statistics,
//	         random streams, the episode window, the env id and parameters
//	vec      the vector environment's state (env.Vec.MarshalBinary), when it
//	         can be serialised
//	config   (version 2) the resolved config the run was trained with, as YAML
//
// Version 2 differs from version 1 only in that the trainer's checkpoints
// must hold the config section; both are read.
const (
	ckptMagic = "PPOCKPT1"
	// Version is the format version this package writes.
	Version = 2
)

// Checkpoint is a set of named byte sections.
type Checkpoint struct {
	// Version is the format version read, or to write (0 means Version).
	Version  int
	Sections map[string][]byte
}

// MarshalBinary encodes c with sections in name order, so equal
// checkpoints give equal bytes.
func (c *Checkpoint) MarshalBinary() ([]byte, error) {
	names := make([]string, 0, len(c.Sections))
	for n := range c.Sections {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	b.WriteString(ckptMagic)
	v := c.Version
	if v == 0 {
		v = Version
	}
	b.Write(binary.LittleEndian.AppendUint32(nil, uint32(v)))
	b.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(names))))
	for _, n := range names {
		b.Write(binary.LittleEndian.AppendUint16(nil, uint16(len(n))))
		b.WriteString(n)
		b.Write(binary.LittleEndian.AppendUint64(nil, uint64(len(c.Sections[n]))))
		b.Write(c.Sections[n])
	}
	b.Write(binary.LittleEndian.AppendUint32(nil, crc32.Checksum(b.Bytes(), castagnoli)))
	return b.Bytes(), nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Parse decodes a checkpoint, refusing foreign, truncated or
// corrupt data with an error (never a panic).
func Parse(data []byte) (*Checkpoint, error) {
	if len(data) < len(ckptMagic)+12 || string(data[:len(ckptMagic)]) != ckptMagic {
		return nil, errors.New("not a ppo checkpoint (bad magic)")
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return nil, errors.New("checkpoint checksum mismatch (corrupt or truncated)")
	}
	r := body[len(ckptMagic):]
	v := binary.LittleEndian.Uint32(r)
	if v < 1 || v > Version {
		return nil, fmt.Errorf("checkpoint version %d, this build reads 1 to %d", v, Version)
	}
	count := binary.LittleEndian.Uint32(r[4:])
	r = r[8:]
	c := &Checkpoint{Version: int(v), Sections: map[string][]byte{}}
	for i := uint32(0); i < count; i++ {
		if len(r) < 2 {
			return nil, errors.New("checkpoint is truncated")
		}
		nl := int(binary.LittleEndian.Uint16(r))
		if len(r) < 2+nl+8 {
			return nil, errors.New("checkpoint is truncated")
		}
		name := string(r[2 : 2+nl])
		dl := binary.LittleEndian.Uint64(r[2+nl:])
		r = r[2+nl+8:]
		if dl > uint64(len(r)) {
			return nil, errors.New("checkpoint is truncated")
		}
		c.Sections[name] = r[:dl]
		r = r[dl:]
	}
	if len(r) != 0 {
		return nil, errors.New("checkpoint has trailing bytes")
	}
	return c, nil
}

// Read reads and decodes the checkpoint at path.
func Read(path string) (*Checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}
