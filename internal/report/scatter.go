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
				l, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: names})
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
		plots = append(plots, p)
	}
	if len(plots) == 0 {
		return fmt.Errorf("no panels to draw")
	}
	return render(path, format, plots, legend)
}
