package cli

import (
	"fmt"
	"io"
	"ppo/agent"
	"strings"
	"time"
)

// Bar is a one-line progress bar for a terminal: steps, SPS, return, KL,
// beta and the estimated time left, redrawn in place after every update.
// Other text written to it (warnings, notes) is printed on its own line
// above the bar.
type Bar struct {
	w     io.Writer
	start time.Time
	last  string
	width int
}

// NewBar returns a bar drawing on w (a terminal) with the given width.
func NewBar(w io.Writer, width int) *Bar {
	return &Bar{w: w, start: time.Now(), width: width}
}

// Row redraws the bar for the row m.
func (b *Bar) Row(m agent.Metrics, updates int) {
	// Every update takes the same number of steps.
	totalSteps := m.Timesteps / m.Update * updates
	frac := float64(m.Update) / float64(updates)
	elapsed := time.Since(b.start)
	eta := time.Duration(float64(elapsed) * (1 - frac) / frac).Round(time.Second)
	ret := "-"
	if m.EpisodeReturnMean != nil {
		ret = fmt.Sprintf("%.1f", *m.EpisodeReturnMean)
	}
	text := fmt.Sprintf(" %d/%d steps  %.0f sps  return %s  kl %.4f  beta %.3g  eta %s",
		m.Timesteps, totalSteps, float64(m.Timesteps)/elapsed.Seconds(), ret, m.KL, m.Beta, eta)
	if len(text) > b.width-12 {
		text = text[:b.width-12]
	}
	const n = 30
	done := int(frac * n)
	// \033[K clears what a longer previous line left behind.
	b.last = "[" + strings.Repeat("=", done) + strings.Repeat(" ", n-done) + "]" + text + "\033[K"
	fmt.Fprint(b.w, "\r"+b.last)
	if m.Update == updates {
		fmt.Fprintln(b.w)
		b.last = ""
	}
}

// Warn prints a warning above the bar.
func (b *Bar) Warn(msg string) { fmt.Fprintf(b, "warning: %s\n", msg) }

// Write prints p above the bar and redraws the bar under it.
func (b *Bar) Write(p []byte) (int, error) {
	if b.last != "" {
		fmt.Fprint(b.w, "\r\033[K")
	}
	n, err := b.w.Write(p)
	if b.last != "" {
		fmt.Fprint(b.w, b.last)
	}
	return n, err
}

// lines prints a progress line every every updates, and the last, and
// warnings as they come.
type lines struct {
	w     io.Writer
	every int
}

func (l lines) Row(m agent.Metrics, updates int) {
	if m.Update%l.every == 0 || m.Update == updates {
		fmt.Fprintln(l.w, progressLine(&m, updates))
	}
}

func (l lines) Warn(msg string) { fmt.Fprintln(l.w, "warning:", msg) }
