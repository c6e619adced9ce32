package external

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is one process serving environment copies. Every call that fails ends the child: it is
// killed and reaped, and every later call returns the same error, which names the environment,
// what happened, the exit status and the tail of the child's stderr.
type child struct {
	cmd     *exec.Cmd
	in      *os.File // the child's stdin, which we write
	out     *os.File // the child's stdout, which we read
	stderr  *tail
	label   string // names the env in errors: its id once known, and the command
	timeout time.Duration
	max     int

	enc    encoder
	hdr    [4]byte
	body   []byte
	err    error // the fault that ended the child
	reaped bool
}

// start runs c's program with its stdin and stdout on pipes, in its own process group so a
// terminal's Ctrl-C reaches only ppo, which then stops it, and killed if ppo dies.
func start(c Command) (*child, error) {
	c = c.withDefaults()
	if len(c.Argv) == 0 {
		return nil, errors.New("external env: no command")
	}
	label := strings.Join(c.Argv, " ")
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("external env (%s): %w", label, err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, fmt.Errorf("external env (%s): %w", label, err)
	}
	if err := checkDir(c); err != nil {
		inR.Close()
		inW.Close()
		outR.Close()
		outW.Close()
		return nil, fmt.Errorf("external env (%s): %w", label, err)
	}
	ch := &child{in: inW, out: outR, stderr: &tail{}, label: label, timeout: c.Timeout, max: c.MaxMessage}
	ch.cmd = exec.Command(c.Argv[0], c.Argv[1:]...)
	ch.cmd.Dir = c.Dir
	ch.cmd.Stdin, ch.cmd.Stdout, ch.cmd.Stderr = inR, outW, ch.stderr
	ch.cmd.SysProcAttr = procAttr()
	ch.cmd.WaitDelay = time.Second // a grandchild holding stderr open cannot stall Wait
	err = ch.cmd.Start()
	inR.Close() // the child's ends: ours must close so EOF and EPIPE reach each side
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("external env (%s): cannot start: %w", label, err)
	}
	return ch, nil
}

// send writes the message in ch.enc.
func (ch *child) send(what string) error {
	if ch.err != nil {
		return ch.err
	}
	ch.in.SetWriteDeadline(time.Now().Add(ch.timeout))
	if _, err := ch.in.Write(ch.enc.frame()); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return ch.fail(fmt.Sprintf("did not read the %s within %v", what, ch.timeout), true)
		}
		return ch.fail(fmt.Sprintf("stopped reading its input (sending the %s: %v)", what, err), false)
	}
	return nil
}

// recv reads one message, which must be of type want (or an error report), and returns a
// decoder of its body after the type byte.
func (ch *child) recv(want byte, what string) (*decoder, error) {
	if ch.err != nil {
		return nil, ch.err
	}
	ch.out.SetReadDeadline(time.Now().Add(ch.timeout))
	if _, err := io.ReadFull(ch.out, ch.hdr[:]); err != nil {
		return nil, ch.readFault(err, what)
	}
	n := int(binary.LittleEndian.Uint32(ch.hdr[:]))
	if n > ch.max {
		return nil, ch.fail(fmt.Sprintf("sent a %d-byte message as the %s, more than the limit of %d bytes", n, what, ch.max), false)
	}
	if n == 0 {
		return nil, ch.fail(fmt.Sprintf("sent an empty message as the %s", what), false)
	}
	if cap(ch.body) < n {
		ch.body = make([]byte, n)
	}
	ch.body = ch.body[:n]
	if _, err := io.ReadFull(ch.out, ch.body); err != nil {
		return nil, ch.readFault(err, what)
	}
	d := &decoder{b: ch.body[1:]}
	switch k := ch.body[0]; k {
	case want:
		return d, nil
	case msgError:
		msg := d.str("error message")
		if d.err != nil {
			msg = "(unreadable)"
		}
		return nil, ch.fail(fmt.Sprintf("reported an error instead of the %s: %s", what, oneLine(msg, 300)), false)
	default:
		return nil, ch.fail(fmt.Sprintf("sent a message of type %q as the %s, want %q", k, what, want), false)
	}
}

func (ch *child) readFault(err error, what string) error {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return ch.fail(fmt.Sprintf("did not send the %s within %v", what, ch.timeout), true)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return ch.fail(fmt.Sprintf("closed its output before sending the %s", what), false)
	}
	return ch.fail(fmt.Sprintf("reading the %s: %v", what, err), false)
}

// malformed ends the child for a message that decoded badly.
func (ch *child) malformed(err error, what string) error {
	if ch.err != nil {
		return ch.err
	}
	return ch.fail(fmt.Sprintf("sent a bad %s: %v", what, err), false)
}

// fail ends the child and records why: now kills it at once (it hangs); otherwise it gets a
// moment to exit by itself, so its own exit status is reported.
func (ch *child) fail(what string, now bool) error {
	grace := 2 * time.Second
	if now {
		grace = 0
	}
	status := ch.stop(grace)
	ch.err = fmt.Errorf("external env %s: %s; %s; stderr: %s", ch.label, what, status, ch.stderr.last(3, 400))
	return ch.err
}

// stop closes the pipes, waits up to grace for the child to exit, kills its process group
// otherwise, and reaps it. It returns the exit status in words.
func (ch *child) stop(grace time.Duration) string {
	if ch.reaped {
		return "exited"
	}
	ch.reaped = true
	ch.in.Close()
	done := make(chan struct{})
	var werr error
	go func() { werr = ch.cmd.Wait(); close(done) }()
	killed := false
	if grace > 0 {
		select {
		case <-done:
		case <-time.After(grace):
		}
	}
	select {
	case <-done:
	default:
		killGroup(ch.cmd.Process)
		killed = true
		<-done
	}
	ch.out.Close()
	st := ch.cmd.ProcessState
	switch {
	case st == nil:
		return fmt.Sprintf("not reaped (%v)", werr)
	case killed:
		return "killed by ppo"
	case st.Exited():
		return fmt.Sprintf("exit status %d", st.ExitCode())
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "killed by signal " + ws.Signal().String()
	}
	return st.String()
}

// close asks the child to quit and reaps it, killing it if it has not exited within a second.
func (ch *child) close() error {
	if ch.reaped {
		return nil
	}
	if ch.err == nil {
		ch.enc.reset(msgQuit)
		ch.in.SetWriteDeadline(time.Now().Add(time.Second))
		ch.in.Write(ch.enc.frame()) // a child that is gone already is reaped all the same
	}
	ch.stop(time.Second)
	return nil
}

// tail keeps the last bytes written to it: a child's stderr.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailBytes = 8 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailBytes {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailBytes:]...)
	}
	return len(p), nil
}

// last returns the last n non-empty lines joined by " | ", at most limit bytes (cut at the front).
func (t *tail) last(n, limit int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var lines []string
	for _, l := range strings.Split(string(t.buf), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return "(empty)"
	}
	lines = lines[max(0, len(lines)-n):]
	s := strings.Join(lines, " | ")
	if len(s) > limit {
		s = "..." + s[len(s)-limit:]
	}
	return s
}

// oneLine squeezes s onto one line of at most limit bytes.
func oneLine(s string, limit int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > limit {
		s = s[:limit] + "..."
	}
	return s
}

// ErrMissing is the error of a command whose working directory or program
// file is not there: bad input, which another env.external.dir mends.
var ErrMissing = errors.New("not found")

// scriptExt are the extensions of program files a command may name.
var scriptExt = map[string]bool{".py": true, ".js": true, ".mjs": true, ".ts": true, ".rb": true, ".jl": true,
	".r": true, ".R": true, ".sh": true, ".pl": true, ".lua": true, ".jar": true}

// checkDir refuses, in one line naming it, a working directory that is
// gone or a program file the command names that is not in it (a script
// given by a relative path, such as python3's pointmass.py): what a run
// recorded where it started cannot be found from where it resumes.
func checkDir(c Command) error {
	dir := c.Dir
	if dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fmt.Errorf("its directory %s is gone (%w: the run's env.external.dir; edit it in the run's config.yaml, or give ppo eval --set env.external.dir=DIR)", dir, ErrMissing)
		}
	}
	for _, a := range c.Argv[1:] {
		if strings.HasPrefix(a, "-") || filepath.IsAbs(a) || !scriptExt[filepath.Ext(a)] {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, a)); err != nil {
			where := dir
			if where == "" {
				where, _ = os.Getwd()
			}
			return fmt.Errorf("its program file %s is not in %s (%w: set env.external.dir to the directory it is in)", a, where, ErrMissing)
		}
	}
	return nil
}
