package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"ppo/configs"
)

func loadFixtures(t *testing.T, names ...string) []*Run {
	t.Helper()
	var runs []*Run
	for _, n := range names {
		r, err := Load(fixture(t, n))
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	return runs
}

func TestGroups(t *testing.T) {
	runs := loadFixtures(t, "sweep-s1", "clip-early", "sweep-s2", "modular", "sweep-s3")
	groups, err := Groups(runs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range groups {
		var names []string
		for _, r := range g {
			names = append(names, r.Name)
		}
		got = append(got, strings.Join(names, "+"))
	}
	// The sweep's runs differ in seed and name only; modular differs in
	// seed and its controller, so it stands alone.
	want := "sweep-s1+sweep-s2+sweep-s3|clip-early|modular"
	if strings.Join(got, "|") != want {
		t.Errorf("groups %s, want %s", strings.Join(got, "|"), want)
	}
	if l := groupLabel(groups[0]); l != "sweep" {
		t.Errorf("sweep label %q", l)
	}
}

func TestGroupLabel(t *testing.T) {
	cfg := configs.Default()
	mk := func(names ...string) []*Run {
		var g []*Run
		for _, n := range names {
			g = append(g, &Run{Name: n, Config: cfg})
		}
		return g
	}
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{[]string{"cartpole-adaptive-kl-s1-20250101-120000", "cartpole-adaptive-kl-s2-20250101-120102"}, "cartpole-adaptive-kl"},
		{[]string{"lr3e-4_seed1", "lr3e-4_seed2"}, "lr3e-4"},
		{[]string{"a", "b"}, "cartpole-adaptive-kl"}, // nothing shared: the config name
		{[]string{"run1", "run2", "run3"}, "run"},
	} {
		if got := groupLabel(mk(tc.names...)); got != tc.want {
			t.Errorf("groupLabel(%v) = %q, want %q", tc.names, got, tc.want)
		}
	}
}

// synthetic makes a run from (timesteps, value) pairs of one metric.
func synthetic(t *testing.T, pts [][2]float64) *Run {
	t.Helper()
	var b strings.Builder
	for i, p := range pts {
		v := "null"
		if !math.IsNaN(p[1]) {
			v = strconvG(p[1])
		}
		b.WriteString(`{"update":` + strconvG(float64(i+1)) + `,"timesteps":` + strconvG(p[0]) + `,"m":` + v + "}\n")
	}
	r, err := Load(writeRun(t, configs.Default(), b.String(), ""))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func strconvG(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func TestAggregate(t *testing.T) {
	nan := math.NaN()
	// Three seeds; the third is still in progress (no point at 300) and the
	// second has a null at 200, so only 100 has all three.
	g := []*Run{
		synthetic(t, [][2]float64{{100, 1}, {200, 2}, {300, 3}}),
		synthetic(t, [][2]float64{{100, 4}, {200, nan}, {300, 9}}),
		synthetic(t, [][2]float64{{100, 7}, {200, 5}}),
	}
	xs, lo, mid, hi := aggregate(g, "m")
	if len(xs) != 1 || xs[0] != 100 || lo[0] != 1 || mid[0] != 4 || hi[0] != 7 {
		t.Errorf("aggregate = %v %v %v %v; want x 100: min 1, mean 4, max 7", xs, lo, mid, hi)
	}
	g[1] = synthetic(t, [][2]float64{{100, 4}, {200, 8}, {300, 9}})
	xs, lo, mid, hi = aggregate(g, "m")
	// At 200: values 2, 8, 5 -> min 2, mean 5, max 8.
	if len(xs) != 2 || xs[1] != 200 || lo[1] != 2 || mid[1] != 5 || hi[1] != 8 {
		t.Errorf("aggregate = %v %v %v %v", xs, lo, mid, hi)
	}
}

func TestDecadeTicks(t *testing.T) {
	cases := []struct {
		lo, hi float64
		labels string
		n      int
	}{
		// Labels at each power of ten, minor ticks at 2..9 of the two decades.
		{0.1, 10, "0.1 1 10", 19},
		// Nine decades: every second one labelled (even exponents), no minor ticks.
		{1e-7, 10, "1e-6 1e-4 0.01 1", 9},
		// Plain decimals from 0.001 to 1000 only.
		{1e-5, 1e4, "1e-4 0.01 1 100 1e4", 10},
	}
	for _, tc := range cases {
		var labels []string
		ticks := (decadeTicks{}).Ticks(tc.lo, tc.hi)
		for _, tk := range ticks {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
				if v, err := strconv.ParseFloat(tk.Label, 64); err != nil || v != tk.Value {
					t.Errorf("[%g, %g]: label %q for value %g", tc.lo, tc.hi, tk.Label, tk.Value)
				}
			}
		}
		if strings.Join(labels, " ") != tc.labels || len(ticks) != tc.n {
			t.Errorf("ticks over [%g, %g]: labels %v, %d ticks (want %s, %d)", tc.lo, tc.hi, labels, len(ticks), tc.labels, tc.n)
		}
	}
}

// TestRoundTicks: over fixed and random ranges, the labelled ticks of a
// linear axis are the multiples in range of one step m·10^e with m in
// {1, 2, 5}; each label reads back as exactly its value; there are 3 to
// maxLabels of them (a range at least 2.5 steps wide); the minor ticks
// divide the step evenly.
func TestRoundTicks(t *testing.T) {
	cases := []struct {
		lo, hi float64
		labels string
	}{
		{0, 500, "0 100 200 300 400 500"},
		{0, 0.6, "0 0.1 0.2 0.3 0.4 0.5 0.6"},
		{-1.2, 1.7, "-1.0 -0.5 0 0.5 1.0 1.5"},
		{0, 99840, "0 20000 40000 60000 80000"},
		{-213.2, -141.1, "-210 -200 -190 -180 -170 -160 -150"},
		{0.0012, 0.0013, "0.00120 0.00122 0.00124 0.00126 0.00128 0.00130"},
	}
	labels := func(ticks []plot.Tick) string {
		var ls []string
		for _, tk := range ticks {
			if tk.Label != "" {
				ls = append(ls, tk.Label)
			}
		}
		return strings.Join(ls, " ")
	}
	for _, tc := range cases {
		if got := labels(roundTicks{}.Ticks(tc.lo, tc.hi)); got != tc.labels {
			t.Errorf("ticks over [%g, %g]: %s, want %s", tc.lo, tc.hi, got, tc.labels)
		}
	}
	rng := rand.New(rand.NewPCG(10, 7))
	for range 2000 {
		// Ranges of every scale from 1e-6 to 1e7, at any offset.
		span := math.Pow(10, -6+13*rng.Float64())
		lo := (rng.Float64()*20 - 10) * span
		hi := lo + span
		ticks := roundTicks{}.Ticks(lo, hi)
		var major []float64
		for _, tk := range ticks {
			if tk.Value < lo || tk.Value > hi {
				t.Fatalf("[%g, %g]: tick %g out of range", lo, hi, tk.Value)
			}
			if tk.Label == "" {
				continue
			}
			if v, err := strconv.ParseFloat(tk.Label, 64); err != nil || v != tk.Value {
				t.Fatalf("[%g, %g]: label %q for value %g", lo, hi, tk.Label, tk.Value)
			}
			major = append(major, tk.Value)
		}
		if len(major) < 3 || len(major) > maxLabels {
			t.Fatalf("[%g, %g]: %d labelled ticks %v", lo, hi, len(major), major)
		}
		step := major[1] - major[0]
		e := math.Floor(math.Log10(step) + 1e-9)
		m := step / math.Pow(10, e)
		if math.Abs(m-1) > 1e-6 && math.Abs(m-2) > 1e-6 && math.Abs(m-5) > 1e-6 {
			t.Fatalf("[%g, %g]: step %g is not 1, 2 or 5 times a power of ten", lo, hi, step)
		}
		for _, v := range major {
			// A multiple of the step, up to float rounding of the quotient.
			if q := v / step; math.Abs(q-math.Round(q)) > 1e-6 {
				t.Fatalf("[%g, %g]: %g is not a multiple of %g", lo, hi, v, step)
			}
		}
		if minors := len(ticks) - len(major); minors < len(major)-1 {
			t.Fatalf("[%g, %g]: %d minor ticks for %d majors", lo, hi, minors, len(major))
		}
		// Snapped, the axis starts and ends on labelled ticks.
		slo, shi := snap(lo, hi)
		ls := strings.Fields(labels(roundTicks{}.Ticks(slo, shi)))
		first, _ := strconv.ParseFloat(ls[0], 64)
		last, _ := strconv.ParseFloat(ls[len(ls)-1], 64)
		if slo > lo || shi < hi || first != slo || last != shi {
			t.Fatalf("[%g, %g] snapped to [%g, %g], labelled %v", lo, hi, slo, shi, ls)
		}
	}
}

// TestSnap: a linear axis is widened to the multiples of its step, so its
// ends are labelled ticks.
func TestSnap(t *testing.T) {
	for _, tc := range []struct{ lo, hi, wantLo, wantHi float64 }{
		{9.2, 497, 0, 500},
		{0, 99840, 0, 100000},
		{0.003, 0.537, 0, 0.6},
		{-213.2, -141.1, -220, -140},
		// Step 10 would widen [1, 61] to [0, 70], eight multiples: 20 then.
		{1, 61, 0, 80},
		{0, 0, 0, 0},
	} {
		lo, hi := snap(tc.lo, tc.hi)
		if lo != tc.wantLo || hi != tc.wantHi {
			t.Errorf("snap(%g, %g) = %g, %g; want %g, %g", tc.lo, tc.hi, lo, hi, tc.wantLo, tc.wantHi)
		}
	}
}

// bandRun is a run of a config with sets, with two KL rows.
func bandRun(t *testing.T, sets ...string) *Run {
	t.Helper()
	cfg := configs.Default()
	for _, s := range sets {
		if err := cfg.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	r, err := Load(writeRun(t, cfg, `{"update":1,"timesteps":100,"kl":0.01}
{"update":2,"timesteps":200,"kl":0.02}
`, ""))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestTargetBands: each distinct dead zone of a penalised group is one
// band, in the colour of its group's line or grey when groups share it;
// groups without a KL penalty have none. On the KL panel the bands are
// drawn after (over) every curve.
func TestTargetBands(t *testing.T) {
	groups := [][]*Run{
		{bandRun(t, "kl.controller.target=0.003")},
		{bandRun(t, "ppo.objective=clip", "kl.controller.target=0.1")},
		{bandRun(t, "kl.controller.target=0.03")},
		{bandRun(t, "kl.controller.target=0.03", "ppo.objective=clip_kl")},
		{bandRun(t, "kl.controller.target=0.003", "kl.controller.preset=rllib")},
	}
	got := targetBands(groups)
	// schulman2017 is [target/1.5, target*1.5], rllib [target/2, target*2].
	want := []targetBand{
		{lo: 0.003 / 1.5, hi: 0.003 * 1.5, color: palette(0), groups: []int{0}},
		{lo: 0.03 / 1.5, hi: 0.03 * 1.5, color: bandGrey, groups: []int{2, 3}},
		{lo: 0.003 / 2, hi: 0.003 * 2, color: palette(4), groups: []int{4}},
	}
	if len(got) != len(want) {
		t.Fatalf("bands %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if math.Abs(g.lo-w.lo) > 1e-15 || math.Abs(g.hi-w.hi) > 1e-15 || g.color != w.color || !slices.Equal(g.groups, w.groups) {
			t.Errorf("band %d = %+v, want %+v", i, g, w)
		}
	}
	pn, err := drawPanel("kl", groups)
	if err != nil {
		t.Fatal(err)
	}
	if len(pn.bands) != 3 {
		t.Fatalf("KL panel draws %d bands, want 3", len(pn.bands))
	}
	firstBand, lastCurve := -1, -1
	for i, k := range pn.kinds {
		switch {
		case k == layerTarget && firstBand < 0:
			firstBand = i
		case k == layerCurve || k == layerSpread:
			lastCurve = i
		}
	}
	if firstBand < 0 || lastCurve < 0 || firstBand < lastCurve {
		t.Errorf("layers %v: a curve is drawn over a target band", pn.kinds)
	}
	pn, err = drawPanel("beta", groups)
	if err != nil || len(pn.bands) != 0 || slices.Contains(pn.kinds, layerTarget) {
		t.Errorf("beta panel: %v bands, layers %v (%v)", len(pn.bands), pn.kinds, err)
	}
}

// TestBetaOnlyWithPenalty: the beta panel draws a line for each run whose
// objective has a KL penalty, and none for a clip run (which logs beta, a
// coefficient nothing uses), whose legend entry says so.
func TestBetaOnlyWithPenalty(t *testing.T) {
	var groups [][]*Run
	for _, obj := range []string{"kl_penalty", "clip", "clip_kl"} {
		cfg := configs.Default()
		if err := cfg.Set("ppo.objective=" + obj); err != nil {
			t.Fatal(err)
		}
		r, err := Load(writeRun(t, cfg, `{"update":1,"timesteps":100,"kl":0.01,"beta":1}
{"update":2,"timesteps":200,"kl":0.02,"beta":1.5}
`, ""))
		if err != nil {
			t.Fatal(err)
		}
		groups = append(groups, []*Run{r})
	}
	pn, err := drawPanel("beta", groups)
	if err != nil {
		t.Fatal(err)
	}
	curves := 0
	for _, k := range pn.kinds {
		if k == layerCurve {
			curves++
		}
	}
	if curves != 2 || !strings.HasSuffix(pn.entries[1].label, "(no KL penalty)") ||
		strings.Contains(pn.entries[0].label+pn.entries[2].label, "no KL") {
		t.Errorf("beta panel: %d curves for kl_penalty, clip and clip_kl; legend %+v", curves, pn.entries)
	}
}

// TestLegendBlock: the legend is one block below every panel: in the
// SVG, each legend label lies lower than any other text (tick labels,
// axis labels, titles). gonum's SVG flips the y axis, so "lower" is a
// smaller -y.
func TestLegendBlock(t *testing.T) {
	runs := loadFixtures(t, "sweep-s1", "clip-early", "modular", "sweep-s2", "sweep-s3")
	for i, r := range runs { // five groups, not one sweep
		r.Name = "run-" + strconv.Itoa(i)
		r.Config.Seed = uint64(i)
		r.Config.TotalTimesteps += i
	}
	path := filepath.Join(t.TempDir(), "legend.svg")
	if err := Plot(path, runs, nil); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	// Rotated text (the y axes' labels, in a rotate group) lies beside
	// the panels and is skipped.
	re := regexp.MustCompile(`(<g transform="rotate\([^)]*\)">\s*)?<text x="[^"]*" y="([^"]*)"[^>]*>([^<]*)</text>`)
	legendMax, otherMin := math.Inf(-1), math.Inf(1)
	nLegend := 0
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		if m[1] != "" {
			continue
		}
		m = m[1:]
		y, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		y = -y // height above the bottom edge
		if strings.HasPrefix(m[2], "run-") || strings.HasPrefix(m[2], "KL target band") {
			nLegend++
			legendMax = math.Max(legendMax, y)
		} else {
			otherMin = math.Min(otherMin, y)
		}
	}
	if nLegend != 6 || legendMax >= otherMin {
		t.Errorf("%d legend labels up to %.1f pt above the bottom; other text from %.1f pt", nLegend, legendMax, otherMin)
	}
}

// TestPlotDeterministic: the same runs give byte-identical files.
func TestPlotDeterministic(t *testing.T) {
	runs := loadFixtures(t, "sweep-s1", "sweep-s2", "sweep-s3", "modular", "clip-early")
	dir := t.TempDir()
	for _, ext := range []string{"png", "svg"} {
		var files [2][]byte
		for i := range files {
			path := filepath.Join(dir, strconv.Itoa(i)+"."+ext)
			if err := Plot(path, runs, nil); err != nil {
				t.Fatal(err)
			}
			files[i], _ = os.ReadFile(path)
		}
		if len(files[0]) == 0 || !bytes.Equal(files[0], files[1]) {
			t.Errorf("%s: two renders differ (%d and %d bytes)", ext, len(files[0]), len(files[1]))
		}
	}
}

func TestFormatAndCheckMetrics(t *testing.T) {
	for path, want := range map[string]string{"a.png": "png", "b/c.SVG": "svg", "x.jpg": "", "noext": "", "d.pdf": ""} {
		got, err := Format(path)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("Format(%q) = %q, %v", path, got, err)
		}
	}
	runs := loadFixtures(t, "sweep-s1")
	if err := CheckMetrics([]string{"kl", "entropy", "early_stopped"}, runs...); err != nil {
		t.Error(err)
	}
	for _, bad := range [][]string{{"kl", "klx"}, {"kl_ref"}, nil} {
		if err := CheckMetrics(bad, runs...); err == nil {
			t.Errorf("CheckMetrics(%v) accepted", bad)
		}
	}
}

// colourShare is the fraction of pixels within tol of c in every channel.
func colourShare(img image.Image, c [3]uint8, tol int) float64 {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			d := func(v uint32, w uint8) bool { return abs(int(v>>8)-int(w)) <= tol }
			if d(r, c[0]) && d(g, c[1]) && d(bl, c[2]) {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// TestPlot renders real runs and checks the images: decodable, of the
// expected size, with the first run's colour drawn and, for a sweep, its
// translucent band.
func TestPlot(t *testing.T) {
	blue := [3]uint8{0, 114, 178}
	// The band is blue at alpha 60/255 over white: 255 - (255-c)*60/255
	// per channel = (195, 222, 237).
	band := [3]uint8{195, 222, 237}
	// The KL target band of the first run is blue at alpha 50/255 over
	// white: (205, 227, 240).
	klBand := [3]uint8{205, 227, 240}
	cases := []struct {
		name    string
		runs    []string
		metrics []string
		panels  int
		sweep   bool
	}{
		{"one", []string{"sweep-s1"}, nil, 4, false},
		{"two", []string{"sweep-s1", "clip-early"}, nil, 4, false},
		{"sweep", []string{"sweep-s1", "sweep-s2", "sweep-s3", "modular"}, nil, 4, true},
		{"metrics", []string{"clip-early", "modular"}, []string{"entropy", "value_loss", "eval_return_mean"}, 3, false},
		{"single panel", []string{"sweep-s1"}, []string{"kl"}, 1, false},
	}
	dir := t.TempDir()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			runs := loadFixtures(t, tc.runs...)
			metrics := tc.metrics
			pngPath := filepath.Join(dir, tc.name+".png")
			if err := Plot(pngPath, runs, metrics); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(pngPath)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			// 11 inches at 96 dpi; one panel row is 3.4 inches.
			rows := (tc.panels + 1) / 2
			if tc.panels == 1 {
				rows = 1
			}
			w, h := img.Bounds().Dx(), img.Bounds().Dy()
			if w != 1056 || h < int(float64(rows)*3.4*96) || h > int(float64(rows)*3.4*96+100) {
				t.Errorf("image %dx%d for %d panel rows", w, h, rows)
			}
			if s := colourShare(img, blue, 10); s < 0.001 {
				t.Errorf("first run's colour covers %.4f of the image", s)
			}
			if s := colourShare(img, band, 3); tc.sweep != (s > 0.002) {
				t.Errorf("sweep band colour covers %.4f of the image (sweep %v)", s, tc.sweep)
			}
			if len(metrics) == 0 || metrics[0] == "kl" {
				if s := colourShare(img, klBand, 3); s < 0.002 {
					t.Errorf("KL target band covers %.4f of the image", s)
				}
			}
			svgPath := filepath.Join(dir, tc.name+".svg")
			if err := Plot(svgPath, runs, metrics); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(svgPath)
			if err != nil {
				t.Fatal(err)
			}
			d := xml.NewDecoder(strings.NewReader(string(b)))
			for {
				if _, err := d.Token(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatalf("SVG is not well-formed XML: %v", err)
				}
			}
			for _, r := range runs {
				if !strings.Contains(string(b), r.Name) && !tc.sweep {
					t.Errorf("SVG lacks the legend entry %s", r.Name)
				}
			}
			if tc.sweep && !strings.Contains(string(b), "sweep (3 seeds: mean, min–max)") {
				t.Error("SVG lacks the sweep's legend entry")
			}
		})
	}
}

func TestPlotRefusals(t *testing.T) {
	runs := loadFixtures(t, "sweep-s1")
	dir := t.TempDir()
	if err := Plot(filepath.Join(dir, "x.gif"), runs, nil); err == nil {
		t.Error("gif accepted")
	}
	if err := Plot(filepath.Join(dir, "x.png"), nil, nil); err == nil {
		t.Error("no runs accepted")
	}
	if err := Plot(filepath.Join(dir, "missing", "x.png"), runs, nil); err == nil {
		t.Error("write into a missing directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("refused plots left files: %v", entries)
	}
}

// TestPlotEmptyPanel: a run too young to have a return draws a "no data"
// panel rather than failing.
func TestPlotEmptyPanel(t *testing.T) {
	r, err := Load(writeRun(t, configs.Default(), `{"update":1,"timesteps":256,"kl":0.01,"beta":1,"clip_fraction":0.1,"episode_return_mean":null}`+"\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "young.svg")
	if err := Plot(path, []*Run{r}, nil); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "no data") {
		t.Error("empty panel is not marked")
	}
}

// TestPaletteDistinct: the first 12 groups get 12 different colours, and
// no two of the first 48 share both colour and line style (Table 1's 11
// settings each get their own colour).
func TestPaletteDistinct(t *testing.T) {
	colours := map[color.NRGBA]bool{}
	for i := range paletteSize {
		colours[palette(i)] = true
	}
	if len(colours) != paletteSize {
		t.Errorf("%d distinct colours among the first %d", len(colours), paletteSize)
	}
	seen := map[string]int{}
	for i := range 4 * paletteSize {
		k := fmt.Sprint(palette(i), dashes(i))
		if j, ok := seen[k]; ok {
			t.Errorf("groups %d and %d share colour and style %s", j, i, k)
		}
		seen[k] = i
	}
}

// TestDecadeTicksWithinADecade: an axis spanning less than a decade still
// gets at least two labelled ticks (its 1, 2, 5 multiples, or every tick).
func TestDecadeTicksWithinADecade(t *testing.T) {
	for _, r := range [][2]float64{{0.012, 0.09}, {0.3, 0.45}, {2, 40}} {
		n := 0
		for _, tk := range (decadeTicks{}).Ticks(r[0], r[1]) {
			if tk.Label != "" {
				n++
			}
		}
		if n < 2 {
			t.Errorf("axis %v: %d labelled ticks", r, n)
		}
	}
}

// TestSpreadLabels: labels of points closer than a line are moved apart,
// also across groups; labels of distant points stay at their points.
func TestSpreadLabels(t *testing.T) {
	pts := plotter.XYs{{X: 1, Y: 10}, {X: 1.01, Y: 10.01}, {X: 5, Y: 0}}
	lp := newLabelPlacer(ScatterPanel{Groups: []ScatterGroup{{X: []float64{1, 1.01, 5}, Y: []float64{10, 10.01, 0}}}})
	got := lp.place(pts)
	if got[0] != pts[0] || got[2] != pts[2] {
		t.Errorf("labels moved that needed not: %v", got)
	}
	if math.Abs(got[1].Y-got[0].Y) < 0.05*10*0.99 {
		t.Errorf("close labels not spread: %v", got)
	}
	// Another group's label on the first point moves too.
	if again := lp.place(plotter.XYs{{X: 1, Y: 10}}); again[0].Y == 10 {
		t.Errorf("a second group's coinciding label was not moved: %v", again)
	}
}

// TestSpreadCoincidingLabels: many labels on one point end one line apart
// each (placing them once hung on rounding: a label exactly a line below
// another counted as overlapping it).
func TestSpreadCoincidingLabels(t *testing.T) {
	pts := plotter.XYs{{X: 500, Y: 13.1}, {X: 500, Y: 13.1}, {X: 500, Y: 13.1}, {X: 500, Y: 13.1}, {X: 101, Y: 333.3}}
	g := ScatterGroup{X: []float64{500, 500, 500, 500, 101}, Y: []float64{13.1, 13.1, 13.1, 13.1, 333.3}}
	got := newLabelPlacer(ScatterPanel{Groups: []ScatterGroup{g}}).place(pts)
	for i := 1; i < 4; i++ {
		if d := got[i-1].Y - got[i].Y; math.Abs(d-0.05*(333.3-13.1)) > 1e-6 {
			t.Errorf("labels %d and %d are %v apart, want a line", i-1, i, d)
		}
	}
}
