// Package tfevents writes TensorBoard event files holding scalar summaries.
//
// An event file is a TFRecord stream: each record is
//
//	uint64 length, little endian
//	uint32 masked CRC32C of the 8 length bytes
//	byte   data[length]
//	uint32 masked CRC32C of data
//
// where mask(crc) = ((crc >> 15) | (crc << 17)) + 0xa282ead8, and each
// record's data is a serialised tensorflow.Event protocol buffer. The few
// messages needed are encoded by hand, so the package needs no protobuf
// dependency:
//
//	Event   {double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5}
//	Summary {repeated Value value = 1}
//	Value   {string tag = 1; float simple_value = 2}
package tfevents

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"
	"unicode/utf8"
)

// FileVersion is the file_version of the first event of every file;
// TensorBoard reads files whose version starts with "brain.Event:".
const FileVersion = "brain.Event:2"

// FilePrefix starts the name of every event file; TensorBoard finds files
// in a log directory by this prefix.
const FilePrefix = "events.out.tfevents."

// castagnoli is the CRC32C table; hash/crc32 builds it once per process.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maskDelta is TensorFlow's kMaskDelta, added to a rotated CRC so that a
// CRC of data holding embedded CRCs does not degenerate.
const maskDelta = 0xa282ead8

// maskedCRC returns the masked CRC32C of b as stored in TFRecord files.
func maskedCRC(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return (c>>15 | c<<17) + maskDelta
}

// Writer appends events to one event file. It is not safe for concurrent
// use. Records are buffered; Flush or Close makes them visible.
type Writer struct {
	path   string
	file   *os.File // nil when writing to a caller's io.Writer
	w      *bufio.Writer
	buf    []byte // scratch for encoding one event
	closed bool
}

// Create creates a new event file in dir (making dir if needed) named as
// TensorFlow names them, events.out.tfevents.<unix seconds>.<hostname>,
// and writes the file_version event stamped with the current time.
func Create(dir string) (*Writer, error) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	now := time.Now()
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, fmt.Errorf("tfevents: %w", err)
	}
	name := fmt.Sprintf("%s%d.%s", FilePrefix, now.Unix(), host)
	return CreateFile(filepath.Join(dir, name), float64(now.UnixNano())/1e9)
}

// CreateFile creates (or truncates) the event file at path and writes the
// file_version event stamped with wallTime, in seconds since the Unix
// epoch. It lets callers and tests choose the name and time.
func CreateFile(path string, wallTime float64) (*Writer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("tfevents: %w", err)
	}
	w, err := newWriter(f, wallTime)
	if err != nil {
		f.Close()
		return nil, err
	}
	w.path, w.file = path, f
	return w, nil
}

// NewWriter writes an event stream to dst, starting with the file_version
// event stamped with wallTime. Close flushes but does not close dst.
func NewWriter(dst io.Writer, wallTime float64) (*Writer, error) {
	return newWriter(dst, wallTime)
}

func newWriter(dst io.Writer, wallTime float64) (*Writer, error) {
	w := &Writer{w: bufio.NewWriter(dst)}
	ev := appendDouble(nil, 1, wallTime)
	ev = appendBytes(ev, 3, []byte(FileVersion))
	if err := w.record(ev); err != nil {
		return nil, err
	}
	return w, nil
}

// Path returns the event file's path, or "" for a Writer made by NewWriter.
func (w *Writer) Path() string { return w.path }

// Scalars writes one event at step holding a summary with one simple
// value per entry of values, in sorted tag order so files are
// reproducible. Values are stored as float32, as TensorBoard's
// simple_value is. An empty map writes nothing.
func (w *Writer) Scalars(step int64, wallTime float64, values map[string]float64) error {
	if w.closed {
		return errors.New("tfevents: write to a closed writer")
	}
	if len(values) == 0 {
		return nil
	}
	tags := make([]string, 0, len(values))
	for tag := range values {
		if !utf8.ValidString(tag) {
			return fmt.Errorf("tfevents: tag %q is not valid UTF-8", tag)
		}
		tags = append(tags, tag)
	}
	sort.Strings(tags)
	var sum []byte
	var val []byte
	for _, tag := range tags {
		val = appendBytes(val[:0], 1, []byte(tag))
		// simple_value is a member of a oneof, so it is written even when
		// zero: its presence is what marks the value as a scalar.
		val = append(val, 2<<3|5)
		val = binary.LittleEndian.AppendUint32(val, math.Float32bits(float32(values[tag])))
		sum = appendBytes(sum, 1, val)
	}
	ev := appendDouble(w.buf[:0], 1, wallTime)
	if step != 0 {
		ev = append(ev, 2<<3|0)
		ev = binary.AppendUvarint(ev, uint64(step))
	}
	ev = appendBytes(ev, 5, sum)
	w.buf = ev
	return w.record(ev)
}

// record frames data as one TFRecord.
func (w *Writer) record(data []byte) error {
	var head [12]byte
	binary.LittleEndian.PutUint64(head[:8], uint64(len(data)))
	binary.LittleEndian.PutUint32(head[8:], maskedCRC(head[:8]))
	var foot [4]byte
	binary.LittleEndian.PutUint32(foot[:], maskedCRC(data))
	w.w.Write(head[:])
	w.w.Write(data)
	if _, err := w.w.Write(foot[:]); err != nil {
		return fmt.Errorf("tfevents: %w", err)
	}
	return nil
}

// Flush writes buffered events to the file, so that a TensorBoard reading
// the directory sees them.
func (w *Writer) Flush() error {
	if w.closed {
		return nil
	}
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("tfevents: %w", err)
	}
	return nil
}

// Close flushes and closes the file. Closing twice is harmless.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	err := w.Flush()
	w.closed = true
	if w.file != nil {
		if cerr := w.file.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("tfevents: %w", cerr)
		}
	}
	return err
}

// appendDouble appends a double field (wire type 1, fixed 64 bits);
// proto3 leaves a zero value out.
func appendDouble(b []byte, field int, v float64) []byte {
	if v == 0 && !math.Signbit(v) {
		return b
	}
	b = binary.AppendUvarint(b, uint64(field)<<3|1)
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
}

// appendBytes appends a length-delimited field (wire type 2).
func appendBytes(b []byte, field int, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(field)<<3|2)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}
