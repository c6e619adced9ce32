package report

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ScatterPanel is one panel of a scatter chart: groups of points, each group a colour
// with a legend entry shared across the chart's panels.
type ScatterPanel struct {
	Title, XLabel, YLabel string
	// LogX draws the x axis on a log scale (points with x <= 0 are left out).
	LogX   bool
	Groups []ScatterGroup
}

// ScatterGroup is a set of points; Names, if set, labels each point.
type ScatterGroup struct {
	Label string
	X, Y  []float64
	Names []string
	// Large draws bigger, opaque points (means), small ones otherwise (single runs).
	Large bool
}

// Scatter draws panels side by side into path (.png or .svg).
func Scatter(path string, panels []ScatterPanel) error {
	format, err := Format(path)
	if err != nil {
		return err
	}
	colour := map[string]int{}
	var legend []legendEntry
	var plots []*plot.Plot
	for _, sp := range panels {
		p := plot.New()
		p.Title.Text, p.X.Label.Text, p.Y.Label.Text = sp.Title, sp.XLabel, sp.YLabel
		if sp.LogX {
			p.X.Scale = plot.LogScale{}
			p.X.Tick.Marker = decadeTicks{}
		}
		p.Add(plotter.NewGrid())
		labels := newLabelPlacer(sp)
		for _, g := range sp.Groups {
			ci, seen := colour[g.Label]
			if !seen {
				ci = len(colour)
				colour[g.Label] = ci
			}
			var pts plotter.XYs
			var names []string
			for i := range g.X {
				if math.IsNaN(g.X[i]) || math.IsNaN(g.Y[i]) || (sp.LogX && g.X[i] <= 0) {
					continue
				}
				pts = append(pts, plotter.XY{X: g.X[i], Y: g.Y[i]})
				if g.Names != nil {
					names = append(names, g.Names[i])
				}
			}
			if len(pts) == 0 {
				continue
			}
			s, err := plotter.NewScatter(pts)
			if err != nil {
				return err
			}
			c := palette(ci)
			s.GlyphStyle = draw.GlyphStyle{Shape: draw.CircleGlyph{}, Radius: vg.Points(2.5), Color: withAlpha(c, 140)}
			if g.Large {
				s.GlyphStyle = draw.GlyphStyle{Shape: draw.CircleGlyph{}, Radius: vg.Points(4.5), Color: c}
			}
			p.Add(s)
			if names != nil {
				l, err := plotter.NewLabels(plotter.XYLabels{XYs: labels.place(pts), Labels: names})
				if err != nil {
					return err
				}
				for i := range l.TextStyle {
					l.TextStyle[i].Font.Size = vg.Points(8)
					l.TextStyle[i].XAlign = draw.XLeft
				}
				l.Offset = vg.Point{X: vg.Points(5), Y: vg.Points(-3)}
				p.Add(l)
			}
			if !seen {
				legend = append(legend, legendEntry{label: g.Label, thumbs: []plot.Thumbnailer{s}})
			}
		}
		padAxes(p, sp)
		plots = append(plots, p)
	}
	if len(plots) == 0 {
		return fmt.Errorf("no panels to draw")
	}
	return render(path, format, plots, legend)
}

// bounds are the extremes of a panel's points (positive x only on a log
// axis); ok is false without points.
func bounds(sp ScatterPanel) (x0, x1, y0, y1 float64, ok bool) {
	x0, y0, x1, y1 = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, g := range sp.Groups {
		for i := range g.X {
			x, y := g.X[i], g.Y[i]
			if math.IsNaN(x) || math.IsNaN(y) || (sp.LogX && x <= 0) {
				continue
			}
			x0, x1, y0, y1, ok = math.Min(x0, x), math.Max(x1, x), math.Min(y0, y), math.Max(y1, y), true
		}
	}
	return x0, x1, y0, y1, ok
}

// padAxes widens a panel's axes by a margin around its points, so that none
// sits on the frame (a log axis by a factor).
func padAxes(p *plot.Plot, sp ScatterPanel) {
	x0, x1, y0, y1, ok := bounds(sp)
	if !ok {
		return
	}
	lin := func(lo, hi float64) (float64, float64) {
		m := 0.08 * (hi - lo)
		if m == 0 {
			m = math.Max(1, 0.1*math.Abs(lo))
		}
		return lo - m, hi + m
	}
	if sp.LogX {
		f := math.Pow(x1/x0, 0.08)
		if f < 1.25 {
			f = 1.25
		}
		p.X.Min, p.X.Max = x0/f, x1*f
	} else {
		p.X.Min, p.X.Max = lin(x0, x1)
	}
	p.Y.Min, p.Y.Max = lin(y0, y1)
}

// labelPlacer places the point labels of one panel, across its groups:
// each label at its point, but moved down, in steps of a line, past the
// labels already placed that it would overlap (within an eighth of the
// panel's width and a line's height, judged on the panel's extent), so
// that close or coinciding points' labels stay readable.
type labelPlacer struct {
	x0, x1, y0, height float64
	logX, ok           bool
	placed             []plotter.XY // normalised
}

func newLabelPlacer(sp ScatterPanel) *labelPlacer {
	x0, x1, y0, y1, ok := bounds(sp)
	h := y1 - y0
	if h == 0 {
		h = 1
	}
	return &labelPlacer{x0: x0, x1: x1, y0: y0, height: h, logX: sp.LogX, ok: ok}
}

// place returns where to draw the labels of pts.
func (lp *labelPlacer) place(pts plotter.XYs) plotter.XYs {
	if !lp.ok {
		return pts
	}
	nx := func(x float64) float64 {
		switch {
		case lp.x1 == lp.x0:
			return 0
		case lp.logX:
			return math.Log(x/lp.x0) / math.Log(lp.x1/lp.x0)
		}
		return (x - lp.x0) / (lp.x1 - lp.x0)
	}
	const line = 0.05 // a label's height, as a fraction of the panel's
	out := append(plotter.XYs(nil), pts...)
	for i, pt := range out {
		x, y := nx(pt.X), (pt.Y-lp.y0)/lp.height
		for moved := true; moved; {
			moved = false
			for _, q := range lp.placed {
				if math.Abs(q.X-x) < 0.125 && math.Abs(q.Y-y) < line*(1-1e-9) { // a placed label exactly a line off does not overlap
					y = q.Y - line
					moved = true
				}
			}
		}
		lp.placed = append(lp.placed, plotter.XY{X: x, Y: y})
		out[i].Y = lp.y0 + y*lp.height
	}
	return out
}
