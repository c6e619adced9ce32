package report

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"ppo/atomicfile"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// DefaultMetrics returns the panels ppo plot draws without --metrics:
// episode return, the controlled KL with its target band, beta on a log
// scale and the clip fraction.
func DefaultMetrics() []string {
	return []string{"episode_return_mean", "kl", "beta", "clip_fraction"}
}

// Format returns the image format a chart file's extension asks for,
// "png" or "svg".
func Format(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png", ".svg":
		return ext[1:], nil
	case "":
		return "", fmt.Errorf("%s: no file extension; use .png or .svg", path)
	default:
		return "", fmt.Errorf("%s: unknown image format %q; use .png or .svg", path, ext)
	}
}

// CheckMetrics refuses a metric that is not a numeric field of the rows
// (see MetricNames) or that none of the runs has a value for.
func CheckMetrics(metrics []string, runs ...*Run) error {
	if len(metrics) == 0 {
		return errors.New("no metrics to plot")
	}
	known := MetricNames(runs...)
	for _, m := range metrics {
		i := sort.SearchStrings(known, m)
		if i == len(known) || known[i] != m {
			return fmt.Errorf("unknown metric %q; known: %s", m, strings.Join(known, ", "))
		}
		has := false
		for _, r := range runs {
			if _, _, ok := r.Series(m); ok {
				has = true
				break
			}
		}
		if !has {
			return fmt.Errorf("metric %q has no values in these runs", m)
		}
	}
	return nil
}

// Groups partitions runs into sweeps: runs whose configs are equal except
// for seed and name, in order of first appearance. A group of one is a
// lone run.
func Groups(runs []*Run) ([][]*Run, error) {
	var groups [][]*Run
	var keys []string
	for _, r := range runs {
		c := *r.Config // shallow copy; only the two scalars below change
		c.Seed, c.Name = 0, ""
		y, err := c.YAML()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Dir, err)
		}
		k := string(y)
		i := 0
		for i < len(keys) && keys[i] != k {
			i++
		}
		if i == len(keys) {
			keys = append(keys, k)
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], r)
	}
	return groups, nil
}

// Plot draws one panel per metric against timesteps, for all runs, and
// writes the chart to path as PNG or SVG by its extension. Runs of one
// sweep (see Groups) are drawn as their mean with a min–max band; other
// runs as one line each, labelled with the run directory's base name.
func Plot(path string, runs []*Run, metrics []string) error {
	format, err := Format(path)
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		return errors.New("no runs to plot")
	}
	if len(metrics) == 0 {
		metrics = DefaultMetrics()
	}
	groups, err := Groups(runs)
	if err != nil {
		return err
	}
	panels := make([]*plot.Plot, len(metrics))
	var legend []legendEntry
	for i, m := range metrics {
		p, entries, err := drawPanel(m, groups)
		if err != nil {
			return err
		}
		panels[i] = p
		if i == 0 {
			legend = entries
		}
	}
	// One timesteps axis for every panel, from 0 to the longest run, so
	// panels line up even when a metric is logged only on some updates.
	xmax := 0.0
	for _, r := range runs {
		if n := len(r.Rows); n > 0 {
			xmax = math.Max(xmax, float64(r.Rows[n-1].Timesteps))
		}
	}
	for _, p := range panels {
		if xmax > 0 {
			p.X.Min, p.X.Max = 0, xmax
		}
	}
	return render(path, format, panels, legend)
}

// legendEntry is one line of the shared legend above the panels.
type legendEntry struct {
	label  string
	thumbs []plot.Thumbnailer
}

// panelTitle says what a metric is; unknown metrics are titled by name.
func panelTitle(metric string) string {
	switch metric {
	case "episode_return_mean":
		return "episode return (mean of recent episodes)"
	case "episode_length_mean":
		return "episode length (mean of recent episodes)"
	case "kl":
		return "KL(old || new) per update (log scale), target band shaded"
	case "kl_reverse":
		return "KL(new || old) per update (log scale), target band shaded"
	case "beta":
		return "KL penalty coefficient beta (log scale)"
	case "ref_coef":
		return "reference KL coefficient (log scale)"
	case "clip_fraction":
		return "clip fraction"
	case "eval_return_mean":
		return "evaluation return (mean)"
	case "approx_kl":
		return "approximate KL (k3 estimate)"
	}
	return metric
}

// logMetric reports whether a metric is drawn on a log axis: the
// multiplicative coefficients, which move by factors, and the KLs, which
// span decades within a run and whose target band is a ratio.
func logMetric(metric string) bool {
	switch metric {
	case "beta", "ref_coef", "kl", "kl_reverse", "kl_max", "kl_ref", "approx_kl":
		return true
	}
	return false
}

// drawPanel builds the panel of one metric, returning it with the legend
// entries of its groups.
func drawPanel(metric string, groups [][]*Run) (*plot.Plot, []legendEntry, error) {
	p := plot.New()
	p.Title.Text = panelTitle(metric)
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.X.Label.Text = "timesteps"
	p.Y.Label.Text = metric
	p.X.Tick.Marker = stepTicks{}
	logY := logMetric(metric)
	band := metric == "kl" || metric == "kl_reverse"
	mixed := false // the KL panel shows kl_reverse for runs penalising KL(new||old)
	if metric == "kl" {
		for _, g := range groups {
			mixed = mixed || KLMetric(g[0].Config.KL) == "kl_reverse"
		}
		if mixed {
			p.Title.Text = "penalised KL per update, target band shaded"
			p.Y.Label.Text = "kl or kl_reverse"
		}
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 225}
	grid.Horizontal.Color = color.Gray{Y: 225}
	p.Add(grid)

	// Collect every group's curve first: the target band spans their
	// timesteps and goes beneath them.
	type curve struct {
		xs, lo, mid, hi []float64
	}
	curves := make([]curve, len(groups))
	var bands [][2]float64
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for gi, g := range groups {
		m := metric
		if metric == "kl" && mixed {
			m = KLMetric(g[0].Config.KL)
		}
		var c curve
		if len(g) == 1 {
			c.xs, c.mid, _ = g[0].Series(m)
		} else {
			c.xs, c.lo, c.mid, c.hi = aggregate(g, m)
		}
		if logY {
			c.xs, c.lo, c.mid, c.hi = positive(c.xs, c.lo, c.mid, c.hi)
		}
		if len(c.xs) > 0 {
			xmin, xmax = math.Min(xmin, c.xs[0]), math.Max(xmax, c.xs[len(c.xs)-1])
		}
		curves[gi] = c
		if band {
			lo, hi := KLBand(g[0].Config.KL.Controller)
			if !containsBand(bands, lo, hi) {
				bands = append(bands, [2]float64{lo, hi})
			}
		}
	}
	hasData := xmin <= xmax
	if hasData {
		for _, b := range bands {
			addBand(p, math.Min(0, xmin), xmax, b[0], b[1])
		}
	}
	entries := make([]legendEntry, len(groups))
	for gi, g := range groups {
		c, col := curves[gi], palette(gi)
		line := &plotter.Line{XYs: xys(c.xs, c.mid)}
		line.Color, line.Width = col, vg.Points(1.6)
		entries[gi] = legendEntry{g[0].Name, []plot.Thumbnailer{line}}
		if len(g) > 1 {
			seeds := map[uint64]bool{}
			for _, r := range g {
				seeds[r.Config.Seed] = true
			}
			what := "seeds"
			if len(seeds) != len(g) { // the same run twice, or reruns of a seed
				what = "runs"
			}
			entries[gi].label = fmt.Sprintf("%s (%d %s: mean, min–max)", groupLabel(g), len(g), what)
		}
		if len(c.xs) == 0 {
			continue
		}
		if c.lo != nil {
			poly, err := plotter.NewPolygon(bandXYs(c.xs, c.lo, c.hi))
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", metric, err)
			}
			poly.Color = withAlpha(col, 60)
			poly.LineStyle.Width = 0
			p.Add(poly)
			entries[gi].thumbs = []plot.Thumbnailer{poly, line}
		}
		p.Add(line)
		if len(c.xs) == 1 { // a line through one point is invisible
			s, err := plotter.NewScatter(line.XYs)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", metric, err)
			}
			s.GlyphStyle.Color, s.GlyphStyle.Radius, s.GlyphStyle.Shape = col, vg.Points(2.5), draw.CircleGlyph{}
			p.Add(s)
		}
	}
	if !hasData {
		noData(p)
		return p, entries, nil
	}
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = decadeTicks{}
		p.Y.Min = math.Pow(10, math.Floor(math.Log10(p.Y.Min)))
		p.Y.Max = math.Pow(10, math.Ceil(math.Log10(p.Y.Max)))
		if p.Y.Min == p.Y.Max {
			p.Y.Min, p.Y.Max = p.Y.Min/10, p.Y.Max*10
		}
	} else if p.Y.Min == p.Y.Max {
		d := math.Abs(p.Y.Min) * 0.1
		if d == 0 {
			d = 1
		}
		p.Y.Min, p.Y.Max = p.Y.Min-d, p.Y.Max+d
	}
	return p, entries, nil
}

// aggregate returns a sweep's mean, min and max at the timesteps where
// every member has a value, so the band never mixes in fewer seeds.
func aggregate(g []*Run, metric string) (xs, lo, mid, hi []float64) {
	counts := map[float64]int{}
	sums := map[float64]float64{}
	mins := map[float64]float64{}
	maxs := map[float64]float64{}
	for _, r := range g {
		x, y, _ := r.Series(metric)
		seen := map[float64]bool{}
		for i := range x {
			if seen[x[i]] {
				continue // a repeated timestep counts once per run
			}
			seen[x[i]] = true
			if counts[x[i]] == 0 {
				mins[x[i]], maxs[x[i]] = y[i], y[i]
			}
			counts[x[i]]++
			sums[x[i]] += y[i]
			mins[x[i]] = math.Min(mins[x[i]], y[i])
			maxs[x[i]] = math.Max(maxs[x[i]], y[i])
		}
	}
	for x, n := range counts {
		if n == len(g) {
			xs = append(xs, x)
		}
	}
	sort.Float64s(xs)
	for _, x := range xs {
		lo = append(lo, mins[x])
		mid = append(mid, sums[x]/float64(len(g)))
		hi = append(hi, maxs[x])
	}
	return xs, lo, mid, hi
}

// positive keeps the points a log axis can show: those with every
// plotted value above zero.
func positive(xs, lo, mid, hi []float64) (x2, lo2, mid2, hi2 []float64) {
	for i := range xs {
		if mid[i] <= 0 || (lo != nil && lo[i] <= 0) {
			continue
		}
		x2, mid2 = append(x2, xs[i]), append(mid2, mid[i])
		if lo != nil {
			lo2, hi2 = append(lo2, lo[i]), append(hi2, hi[i])
		}
	}
	return x2, lo2, mid2, hi2
}

// groupLabel names a sweep by its members' common name prefix without a
// trailing seed marker ("-s"), or by its config name if they share none.
func groupLabel(g []*Run) string {
	prefix := g[0].Name
	for _, r := range g[1:] {
		n := 0
		for n < len(prefix) && n < len(r.Name) && prefix[n] == r.Name[n] {
			n++
		}
		prefix = prefix[:n]
	}
	// Sweep runs are named seed-1, seed-2, ...: what is left of the
	// prefix then says nothing, and the config's name is used.
	prefix = strings.TrimRight(prefix, "-_. /")
	for _, marker := range []string{"-s", "_s", ".s", "-seed", "_seed", "seed"} {
		if strings.HasSuffix(prefix, marker) {
			prefix = strings.TrimSuffix(prefix, marker)
			break
		}
	}
	prefix = strings.TrimRight(prefix, "-_. /")
	if len(prefix) < 2 {
		return g[0].Config.Name
	}
	return prefix
}

func containsBand(bands [][2]float64, lo, hi float64) bool {
	for _, b := range bands {
		if b[0] == lo && b[1] == hi {
			return true
		}
	}
	return false
}

// addBand shades [lo, hi] across the data and dashes its edges; it is
// added before the curves so that they lie on top.
func addBand(p *plot.Plot, xmin, xmax, lo, hi float64) {
	rect := plotter.XYs{{X: xmin, Y: lo}, {X: xmax, Y: lo}, {X: xmax, Y: hi}, {X: xmin, Y: hi}}
	poly, _ := plotter.NewPolygon(rect)
	poly.Color = color.NRGBA{R: 60, G: 170, B: 90, A: 45}
	poly.LineStyle.Width = 0
	var edges []plot.Plotter
	for _, y := range []float64{lo, hi} {
		l, _ := plotter.NewLine(plotter.XYs{{X: xmin, Y: y}, {X: xmax, Y: y}})
		l.Color = color.NRGBA{R: 40, G: 130, B: 70, A: 255}
		l.Width = vg.Points(0.8)
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		edges = append(edges, l)
	}
	p.Add(poly)
	p.Add(edges...)
}

// noData marks a panel without a single point, whatever its axes' range.
func noData(p *plot.Plot) {
	p.Y.Min, p.Y.Max = 0, 1
	p.HideY()
	p.Add(centreText("no data"))
}

// centreText is a plotter writing its text in the middle of the data area.
type centreText string

func (s centreText) Plot(c draw.Canvas, p *plot.Plot) {
	sty := p.Title.TextStyle
	sty.Color = color.Gray{Y: 110}
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
	c.FillText(sty, c.Center(), string(s))
}

func xys(xs, ys []float64) plotter.XYs {
	pts := make(plotter.XYs, len(xs))
	for i := range xs {
		pts[i] = plotter.XY{X: xs[i], Y: ys[i]}
	}
	return pts
}

// bandXYs is the outline of a min–max band: along the top, back along
// the bottom.
func bandXYs(xs, lo, hi []float64) plotter.XYs {
	pts := make(plotter.XYs, 0, 2*len(xs))
	for i := range xs {
		pts = append(pts, plotter.XY{X: xs[i], Y: hi[i]})
	}
	for i := len(xs) - 1; i >= 0; i-- {
		pts = append(pts, plotter.XY{X: xs[i], Y: lo[i]})
	}
	return pts
}

// palette is a colour-blind-friendly qualitative palette (Okabe and Ito
// 2008), cycled.
func palette(i int) color.NRGBA {
	cs := [...]color.NRGBA{
		{0, 114, 178, 255},   // blue
		{213, 94, 0, 255},    // vermillion
		{0, 158, 115, 255},   // bluish green
		{204, 121, 167, 255}, // reddish purple
		{230, 159, 0, 255},   // orange
		{86, 180, 233, 255},  // sky blue
		{0, 0, 0, 255},       // black
		{240, 228, 66, 255},  // yellow
	}
	return cs[i%len(cs)]
}

func withAlpha(c color.NRGBA, a uint8) color.NRGBA {
	c.A = a
	return c
}

// decadeTicks marks a log axis with a labelled tick at every power of
// ten in range and unlabelled ones at 2..9 times it. (plot.LogTicks can
// skip the lowest decade's label through rounding in int(math.Log10).)
type decadeTicks struct{}

func (decadeTicks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		d := math.Pow(10, e)
		for k := 1.0; k < 10; k++ {
			v := k * d
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if k == 1 {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// stepTicks labels a timesteps axis compactly (20k, 1.5M).
type stepTicks struct{}

func (stepTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = compact(ticks[i].Value)
		}
	}
	return ticks
}

func compact(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return trimFloat(v/1e6) + "M"
	case a >= 1e3:
		return trimFloat(v/1e3) + "k"
	}
	return trimFloat(v)
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// Chart geometry: two panels a row under a legend strip.
const (
	chartWidth  = 11 * vg.Inch
	panelHeight = 3.4 * vg.Inch
	legendCols  = 3
)

// render lays the panels out in a grid of two columns beneath a shared
// legend and writes the image.
func render(path, format string, panels []*plot.Plot, legend []legendEntry) error {
	cols := 2
	if len(panels) == 1 {
		cols = 1
	}
	rows := (len(panels) + cols - 1) / cols
	sty := plot.NewLegend().TextStyle
	sty.Font.Size = vg.Points(11)
	textH := sty.Rectangle("Xg").Max.Y
	// As many legend columns as the longest label leaves room for.
	widest := vg.Length(0)
	for _, e := range legend {
		widest = max(widest, sty.Rectangle(e.label).Max.X)
	}
	fit := int((chartWidth - 0.5*vg.Inch) / (widest + vg.Points(24) + vg.Inch/2))
	lcols := max(1, min(legendCols, len(legend), fit))
	lrows := (len(legend) + lcols - 1) / lcols
	gap := 0.4 * textH // between legend rows
	legendH := vg.Length(lrows)*(textH+gap) + 0.2*vg.Inch
	height := vg.Length(rows)*panelHeight + legendH

	var canvas vg.CanvasWriterTo
	switch format {
	case "png":
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(chartWidth, height), vgimg.UseDPI(96))}
	case "svg":
		canvas = vgsvg.New(chartWidth, height)
	}
	dc := draw.New(canvas)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())

	// The legend strip at the top, entries laid out row by row.
	colW := (dc.Max.X - dc.Min.X - 0.5*vg.Inch) / vg.Length(lcols)
	for c := 0; c < lcols; c++ {
		l := plot.NewLegend()
		l.TextStyle = sty
		l.Top, l.Left = true, true
		l.ThumbnailWidth = vg.Points(24)
		l.Padding = gap
		for i := c; i < len(legend); i += lcols {
			l.Add(legend[i].label, legend[i].thumbs...)
		}
		sub := dc
		sub.Min.X = dc.Min.X + 0.5*vg.Inch + vg.Length(c)*colW
		sub.Max.X = sub.Min.X + colW
		sub.Max.Y = dc.Max.Y - 0.12*vg.Inch
		sub.Min.Y = dc.Max.Y - legendH
		l.Draw(sub)
	}

	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
		for c := range grid[r] {
			if i := r*cols + c; i < len(panels) {
				grid[r][c] = panels[i]
			}
		}
	}
	body := dc
	body.Max.Y = dc.Max.Y - legendH
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: 0.35 * vg.Inch, PadY: 0.3 * vg.Inch,
		PadTop: 0.05 * vg.Inch, PadBottom: 0.1 * vg.Inch, PadLeft: 0.1 * vg.Inch, PadRight: 0.2 * vg.Inch}
	cs := plot.Align(grid, tiles, body)
	for r := range grid {
		for c, p := range grid[r] {
			if p != nil {
				p.Draw(cs[r][c])
			}
		}
	}
	// Rendered whole first, so a failed write never leaves a half-written chart.
	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return err
	}
	return atomicfile.Write(path, buf.Bytes())
}
