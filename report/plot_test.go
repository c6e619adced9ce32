package report

import (
	"encoding/xml"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

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
	var labels []string
	n := 0
	for _, tk := range (decadeTicks{}).Ticks(0.1, 10) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
		n++
	}
	// Labels at each power of ten, minor ticks at 2..9 of the two decades.
	if strings.Join(labels, " ") != "0.1 1 10" || n != 19 {
		t.Errorf("ticks over [0.1, 10]: labels %v, %d ticks (want 0.1 1 10, 19)", labels, n)
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
	// The KL target band is green (60,170,90) at alpha 45/255 over white.
	klBand := [3]uint8{219, 240, 224}
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
