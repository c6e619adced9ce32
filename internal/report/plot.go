package report

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"ppo/internal/atomicfile"
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
	known := metricNames(runs...)
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
	var bandKey *targetBand // a band, for the legend's key to the KL panel's bands
	for i, m := range metrics {
		pn, err := drawPanel(m, groups)
		if err != nil {
			return err
		}
		panels[i] = pn.plot
		if i == 0 {
			legend = pn.entries
		}
		if len(pn.bands) > 0 && bandKey == nil {
			bandKey = &targetBand{color: bandGrey}
		}
	}
	if bandKey != nil {
		legend = append(legend, legendEntry{"KL target band (the controller's dead zone): its run's colour, grey if shared",
			bandThumbs(*bandKey)})
	}
	// One timesteps axis for every panel, from 0 to the longest run
	// rounded up to a tick, so panels line up even when a metric is
	// logged only on some updates.
	xmax := 0.0
	for _, r := range runs {
		if n := len(r.Rows); n > 0 {
			xmax = math.Max(xmax, float64(r.Rows[n-1].Timesteps))
		}
	}
	if xmax > 0 {
		_, xmax = snap(0, xmax)
	}
	for _, p := range panels {
		if xmax > 0 {
			p.X.Min, p.X.Max = 0, xmax
		}
	}
	return render(path, format, panels, legend)
}

// legendEntry is one line of the shared legend below the panels.
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

// layerKind says what a plotter added to a panel shows; panel.kinds
// records the drawing order, later over earlier.
type layerKind int

const (
	layerGrid   layerKind = iota
	layerSpread           // a sweep's min–max band
	layerCurve            // a run's or sweep's line (or lone point)
	layerTarget           // a KL target band
)

// panel is one metric's chart with what a test needs to know of it.
type panel struct {
	plot    *plot.Plot
	kinds   []layerKind // of the plotters added, in order
	entries []legendEntry
	bands   []targetBand // KL target bands drawn, in order
}

func (pn *panel) add(k layerKind, ps ...plot.Plotter) {
	pn.plot.Add(ps...)
	for range ps {
		pn.kinds = append(pn.kinds, k)
	}
}

// drawPanel builds the panel of one metric with the legend entries of
// its groups. KL target bands are drawn last, translucent over the curves,
// so that noisy KL lines cannot hide them.
func drawPanel(metric string, groups [][]*Run) (*panel, error) {
	p := plot.New()
	pn := &panel{plot: p}
	p.Title.Text = panelTitle(metric)
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.X.Label.Text = "timesteps"
	p.Y.Label.Text = metric
	p.X.Tick.Marker = roundTicks{format: compact}
	logY := logMetric(metric)
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
	pn.add(layerGrid, grid)

	type curve struct {
		xs, lo, mid, hi []float64
	}
	curves := make([]curve, len(groups))
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for gi, g := range groups {
		m := metric
		if metric == "kl" && mixed {
			m = KLMetric(g[0].Config.KL)
		}
		var c curve
		if metric == "beta" && !g[0].Config.PPO.Objective.Penalised() {
			continue // beta is logged, but no KL term uses it
		}
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
	}
	pn.entries = make([]legendEntry, len(groups))
	for gi, g := range groups {
		c, col := curves[gi], palette(gi)
		line := &plotter.Line{XYs: xys(c.xs, c.mid)}
		line.Color, line.Width, line.Dashes = col, vg.Points(1.6), dashes(gi)
		pn.entries[gi] = legendEntry{g[0].Name, []plot.Thumbnailer{line}}
		if len(g) > 1 {
			seeds := map[uint64]bool{}
			for _, r := range g {
				seeds[r.Config.Seed] = true
			}
			what := "seeds"
			if len(seeds) != len(g) { // the same run twice, or reruns of a seed
				what = "runs"
			}
			pn.entries[gi].label = fmt.Sprintf("%s (%d %s: mean, min–max)", groupLabel(g), len(g), what)
		}
		if metric == "beta" && !g[0].Config.PPO.Objective.Penalised() {
			pn.entries[gi].label += " (no KL penalty)"
		}
		if len(c.xs) == 0 {
			continue
		}
		if c.lo != nil {
			poly, err := plotter.NewPolygon(bandXYs(c.xs, c.lo, c.hi))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", metric, err)
			}
			poly.Color = withAlpha(col, 60)
			poly.LineStyle.Width = 0
			pn.add(layerSpread, poly)
			pn.entries[gi].thumbs = []plot.Thumbnailer{poly, line}
		}
		pn.add(layerCurve, line)
		if len(c.xs) == 1 { // a line through one point is invisible
			s, err := plotter.NewScatter(line.XYs)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", metric, err)
			}
			s.GlyphStyle.Color, s.GlyphStyle.Radius, s.GlyphStyle.Shape = col, vg.Points(2.5), draw.CircleGlyph{}
			pn.add(layerCurve, s)
		}
	}
	if xmin > xmax { // not a single point
		noData(p)
		return pn, nil
	}
	if metric == "kl" || metric == "kl_reverse" {
		pn.bands = targetBands(groups)
		for _, b := range pn.bands {
			pn.add(layerTarget, b.plotters(math.Min(0, xmin), xmax)...)
		}
	}
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = decadeTicks{}
		p.Y.Min = math.Pow(10, math.Floor(math.Log10(p.Y.Min)))
		p.Y.Max = math.Pow(10, math.Ceil(math.Log10(p.Y.Max)))
		if p.Y.Min == p.Y.Max {
			p.Y.Min, p.Y.Max = p.Y.Min/10, p.Y.Max*10
		}
		return pn, nil
	}
	if p.Y.Min == p.Y.Max {
		d := math.Abs(p.Y.Min) * 0.1
		if d == 0 {
			d = 1
		}
		p.Y.Min, p.Y.Max = p.Y.Min-d, p.Y.Max+d
	}
	p.Y.Tick.Marker = roundTicks{}
	p.Y.Min, p.Y.Max = snap(p.Y.Min, p.Y.Max)
	return pn, nil
}

// targetBand is one KL controller dead zone [lo, hi] on the KL panel.
type targetBand struct {
	lo, hi float64
	color  color.NRGBA
	groups []int // indices of the groups whose controller has it
}

// bandGrey colours a target band that several groups share.
var bandGrey = color.NRGBA{R: 90, G: 90, B: 90, A: 255}

// targetBands lists the distinct dead zones of the groups whose objective
// has a KL penalty (see Penalised; for the others the controller changes
// nothing), in order of first appearance. A band is drawn in its group's
// colour, or in grey when several groups share it.
func targetBands(groups [][]*Run) []targetBand {
	var bands []targetBand
	for gi, g := range groups {
		if !g[0].Config.PPO.Objective.Penalised() {
			continue
		}
		lo, hi := KLBand(g[0].Config.KL.Controller)
		i := 0
		for i < len(bands) && (bands[i].lo != lo || bands[i].hi != hi) {
			i++
		}
		if i == len(bands) {
			bands = append(bands, targetBand{lo: lo, hi: hi})
		}
		bands[i].groups = append(bands[i].groups, gi)
	}
	for i := range bands {
		bands[i].color = bandGrey
		if len(bands[i].groups) == 1 {
			bands[i].color = palette(bands[i].groups[0])
		}
	}
	return bands
}

// plotters shade the band across [xmin, xmax] and dash its edges over a
// white halo, which keeps them visible on a line of the same colour.
func (b targetBand) plotters(xmin, xmax float64) []plot.Plotter {
	rect := plotter.XYs{{X: xmin, Y: b.lo}, {X: xmax, Y: b.lo}, {X: xmax, Y: b.hi}, {X: xmin, Y: b.hi}}
	poly, _ := plotter.NewPolygon(rect)
	poly.Color = withAlpha(b.color, 50)
	poly.LineStyle.Width = 0
	ps := []plot.Plotter{poly}
	for _, y := range []float64{b.lo, b.hi} {
		halo, _ := plotter.NewLine(plotter.XYs{{X: xmin, Y: y}, {X: xmax, Y: y}})
		halo.Color, halo.Width = color.White, vg.Points(3)
		edge, _ := plotter.NewLine(halo.XYs)
		edge.Color, edge.Width = b.color, vg.Points(1.3)
		edge.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		ps = append(ps, halo, edge)
	}
	return ps
}

// bandThumbs draws a target band in the legend.
func bandThumbs(b targetBand) []plot.Thumbnailer {
	poly, _ := plotter.NewPolygon(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 0}, {X: 1, Y: 1}})
	poly.Color = withAlpha(b.color, 50)
	poly.LineStyle.Color, poly.LineStyle.Width = b.color, vg.Points(1.3)
	poly.LineStyle.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	return []plot.Thumbnailer{poly}
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

// palette is a colour-blind-friendly qualitative palette of 12: Okabe and
// Ito's 8 (2008), then wine and indigo (Paul Tol's muted scheme), brown and
// grey, chosen far from the first 8 (Tol's teal and olive were too near
// bluish green and yellow); cycled, with dashes telling the cycles apart.
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
		{136, 34, 85, 255},   // wine
		{51, 34, 136, 255},   // indigo
		{140, 86, 75, 255},   // brown
		{120, 120, 120, 255}, // grey
	}
	return cs[i%len(cs)]
}

// paletteSize is how many colours palette has before it cycles.
const paletteSize = 12

// dashes is the line style of group i: solid for the palette's first
// cycle, then dashed, dotted and dash-dotted, so that no two of the first
// 48 groups share both colour and style.
func dashes(i int) []vg.Length {
	switch (i / paletteSize) % 4 {
	case 1:
		return []vg.Length{vg.Points(6), vg.Points(3)}
	case 2:
		return []vg.Length{vg.Points(1.5), vg.Points(2.5)}
	case 3:
		return []vg.Length{vg.Points(6), vg.Points(2), vg.Points(1.5), vg.Points(2)}
	}
	return nil
}

func withAlpha(c color.NRGBA, a uint8) color.NRGBA {
	c.A = a
	return c
}

// decadeTicks marks a log axis at powers of ten, labelled 0.001, 0.01, …,
// 1000 and 1e-5, 1e4 beyond; every decade when the axis spans at most
// maxLabels of them, else every second, third, … (the labelled exponents
// are multiples of that stride, so the labels stay powers of ten). Minor
// ticks at 2..9 times a power of ten are drawn on axes of at most four
// decades, where they can be told apart. (plot.LogTicks can skip the
// lowest decade's label through rounding in int(math.Log10).)
type decadeTicks struct{}

func (decadeTicks) Ticks(amin, amax float64) []plot.Tick {
	lo, hi := int(math.Floor(math.Log10(amin))), int(math.Ceil(math.Log10(amax)))
	stride := (hi - lo + maxLabels - 1) / maxLabels
	stride = max(stride, 1)
	var ticks []plot.Tick
	for e := lo; e <= hi; e++ {
		for k := 1; k < 10; k++ {
			if k > 1 && hi-lo > 4 {
				break
			}
			v := decimal(int64(k), e)
			if v < amin*(1-1e-9) || v > amax*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if k == 1 && e%stride == 0 {
				t.Label = pow10Label(e)
			}
			ticks = append(ticks, t)
		}
	}
	// An axis spanning less than a decade has at most one power of ten
	// in it: label the 1, 2 and 5 multiples instead (every tick, if
	// those are fewer than two), so that it reads.
	labelled := 0
	for _, t := range ticks {
		if t.Label != "" {
			labelled++
		}
	}
	if labelled < 2 {
		mult := func(v float64) float64 { return v / math.Pow10(int(math.Floor(math.Log10(v)+1e-9))) }
		for _, every := range []bool{false, true} {
			n := 0
			for i, t := range ticks {
				m := math.Round(mult(t.Value))
				if every || m == 1 || m == 2 || m == 5 {
					ticks[i].Label = strconv.FormatFloat(t.Value, 'g', 3, 64)
					n++
				}
			}
			if n >= 2 {
				break
			}
		}
	}
	return ticks
}

// maxLabels is the most labelled ticks an axis gets.
const maxLabels = 7

// pow10Label writes 10^e plainly from 0.001 to 1000, as 1e-5 or 1e4
// beyond.
func pow10Label(e int) string {
	if e >= -3 && e <= 3 {
		return strconv.FormatFloat(decimal(1, e), 'f', max(0, -e), 64)
	}
	return "1e" + strconv.Itoa(e)
}

// decimal is m·10^e, correctly rounded: m times or divided by an exact
// power of ten, so that 3·10^-1 is the float64 nearest 0.3 (3*0.1 is not).
func decimal(m int64, e int) float64 {
	if e >= 0 {
		return float64(m) * math.Pow10(e)
	}
	return float64(m) / math.Pow10(-e)
}

// roundStep returns the smallest step m·10^e, m in {1, 2, 5}, with at
// most maxLabels multiples in [amin, amax] (amax > amin).
func roundStep(amin, amax float64) (m int64, e int) {
	return firstStep(amin, amax, func(step float64) bool {
		return math.Floor(amax/step+1e-9)-math.Ceil(amin/step-1e-9)+1 <= maxLabels
	})
}

// firstStep returns the smallest 1-2-5 step, from a tenth of the range's
// (maxLabels-1)th part up, that ok accepts.
func firstStep(amin, amax float64, ok func(step float64) bool) (m int64, e int) {
	e = int(math.Floor(math.Log10((amax-amin)/(maxLabels-1)))) - 1
	for ; ; e++ {
		for _, m := range []int64{1, 2, 5} {
			if ok(decimal(m, e)) {
				return m, e
			}
		}
	}
}

// snap widens [amin, amax] to multiples of the smallest round step whose
// widened range holds at most maxLabels of them, so that the axis ends
// on labelled ticks: [9, 497] becomes [0, 500].
func snap(amin, amax float64) (lo, hi float64) {
	if !(amax > amin) {
		return amin, amax
	}
	outer := func(step float64) (float64, float64) {
		return math.Floor(amin/step + 1e-9), math.Ceil(amax/step - 1e-9)
	}
	m, e := firstStep(amin, amax, func(step float64) bool {
		a, b := outer(step)
		return b-a+1 <= maxLabels
	})
	a, b := outer(decimal(m, e))
	return decimal(m*int64(a), e), decimal(m*int64(b), e)
}

// roundTicks marks a linear axis at the multiples of a 1-2-5 step (see
// roundStep) with minor ticks between, the step's fifth (m = 1, 5) or
// half (m = 2). format labels the values, plainly when nil.
type roundTicks struct {
	format func(float64) string
}

func (rt roundTicks) Ticks(amin, amax float64) []plot.Tick {
	if !(amax > amin) {
		return []plot.Tick{{Value: amin, Label: strconv.FormatFloat(amin, 'g', 6, 64)}}
	}
	m, e := roundStep(amin, amax)
	// The minor step as mm·10^me; a major step is div minor ones.
	var mm, div int64
	me := e
	switch m {
	case 1:
		mm, me, div = 2, e-1, 5
	case 2:
		mm, div = 1, 2
	case 5:
		mm, div = 1, 5
	}
	minor := decimal(mm, me)
	var ticks []plot.Tick
	for k := int64(math.Ceil(amin/minor - 1e-9)); k <= int64(math.Floor(amax/minor+1e-9)); k++ {
		t := plot.Tick{Value: decimal(mm*k, me)}
		if k%div == 0 {
			switch {
			case rt.format != nil:
				t.Label = rt.format(t.Value)
			case t.Value == 0:
				t.Label = "0"
			default:
				// One number of decimals for the axis: 0.5, 1.0, 1.5.
				t.Label = strconv.FormatFloat(t.Value, 'f', max(0, -e), 64)
			}
		}
		ticks = append(ticks, t)
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

// Chart geometry: panels two a row above one framed legend block.
const (
	chartWidth  = 11 * vg.Inch
	panelHeight = 3.4 * vg.Inch
	legendCols  = 3
)

// render lays the panels out in a grid of two columns above a shared
// legend and writes the image. The legend is one framed block below all
// panels, its entries in columns of their own width (filled top to
// bottom), so that no entry sits over a panel like a title.
func render(path, format string, panels []*plot.Plot, legend []legendEntry) error {
	cols := 2
	if len(panels) == 1 {
		cols = 1
	}
	rows := (len(panels) + cols - 1) / cols
	sty := plot.NewLegend().TextStyle
	sty.Font.Size = vg.Points(10.5)
	textH := sty.Rectangle("Xg").Max.Y
	thumbW, colGap, margin := vg.Points(24), 0.35*vg.Inch, 0.3*vg.Inch
	inner := chartWidth - 2*margin - 2*vg.Points(8)
	// As many columns as the widest labels leave room for, up to legendCols.
	lcols, lrows := 1, len(legend)
	var colWs []vg.Length
	for n := min(legendCols, len(legend)); n >= 1; n-- {
		r := (len(legend) + n - 1) / n
		ws := make([]vg.Length, n)
		total := vg.Length(0)
		for c := range ws {
			for i := c * r; i < min((c+1)*r, len(legend)); i++ {
				ws[c] = max(ws[c], thumbW+textH+sty.Rectangle(legend[i].label).Max.X)
			}
			total += ws[c]
		}
		if total+vg.Length(n-1)*colGap <= inner || n == 1 {
			lcols, lrows, colWs = n, r, ws
			break
		}
	}
	gap := 0.45 * textH // between legend rows
	legendH := vg.Length(lrows)*(textH+gap) + gap + 2*vg.Points(6)
	height := vg.Length(rows)*panelHeight + legendH + 0.25*vg.Inch

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

	// The legend block at the bottom, framed.
	box := vg.Rectangle{
		Min: vg.Point{X: dc.Min.X + margin, Y: dc.Min.Y + 0.1*vg.Inch},
		Max: vg.Point{X: dc.Max.X - margin, Y: dc.Min.Y + 0.1*vg.Inch + legendH},
	}
	dc.SetLineStyle(draw.LineStyle{Color: color.Gray{Y: 170}, Width: vg.Points(0.8)})
	dc.Stroke(box.Path())
	x := box.Min.X + vg.Points(8)
	for c := 0; c < lcols; c++ {
		l := plot.NewLegend()
		l.TextStyle = sty
		l.Top, l.Left = true, true
		l.ThumbnailWidth = thumbW
		l.Padding = gap
		for i := c * lrows; i < min((c+1)*lrows, len(legend)); i++ {
			l.Add(legend[i].label, legend[i].thumbs...)
		}
		sub := dc
		sub.Min.X, sub.Max.X = x, x+colWs[c]
		sub.Max.Y = box.Max.Y - vg.Points(6)
		sub.Min.Y = box.Min.Y + vg.Points(6)
		l.Draw(sub)
		x += colWs[c] + colGap
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
	body.Min.Y = box.Max.Y + 0.1*vg.Inch
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: 0.35 * vg.Inch, PadY: 0.3 * vg.Inch,
		PadTop: 0.1 * vg.Inch, PadBottom: 0.05 * vg.Inch, PadLeft: 0.1 * vg.Inch, PadRight: 0.2 * vg.Inch}
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
