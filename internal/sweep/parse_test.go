package sweep

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func TestParseSeeds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []uint64
	}{
		{"1-5", []uint64{1, 2, 3, 4, 5}},
		{"1,3,7", []uint64{1, 3, 7}},
		{"1-3,10,20-22", []uint64{1, 2, 3, 10, 20, 21, 22}},
		{"7", []uint64{7}},
		{"0", []uint64{0}},
		{"4-4", []uint64{4}},
		{" 9 , 2-3 ", []uint64{9, 2, 3}}, // order as given, spaces ignored
		{"18446744073709551614-18446744073709551615", []uint64{1<<64 - 2, 1<<64 - 1}},
	} {
		got, err := ParseSeeds(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseSeeds(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"", "empty list"},
		{" ", "empty list"},
		{"1,,2", "empty element"},
		{"1,", "empty element"},
		{"5-1", "range 5-1 is empty"},
		{"-1", "missing number"},
		{"1-", "missing number"},
		{"a", `"a" is not a seed`},
		{"1.5", `"1.5" is not a seed`},
		{"1-3-5", `"3-5" is not a seed`},
		{"1,2,1", "seed 1 listed twice"},
		{"1-3,2", "seed 2 listed twice"},
		{"18446744073709551616", "is not a seed"},
		{"0-10000", "more than 10000 seeds"},
		{"1-1000000000", "more than 10000 seeds"},
	} {
		_, err := ParseSeeds(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "--seeds") {
			t.Errorf("ParseSeeds(%q) error %v, want one naming --seeds and %q", tc.in, err, tc.want)
		}
	}
}

// TestFormatSeeds: examples, and ParseSeeds(FormatSeeds(x)) == x on random
// lists of distinct seeds.
func TestFormatSeeds(t *testing.T) {
	for _, tc := range []struct {
		in   []uint64
		want string
	}{
		{[]uint64{1, 2, 3, 4, 5}, "1-5"},
		{[]uint64{1, 3, 7}, "1,3,7"},
		{[]uint64{1, 2, 5, 6, 7}, "1,2,5-7"},
		{[]uint64{3, 2, 1}, "3,2,1"},
		{[]uint64{1<<64 - 2, 1<<64 - 1}, "18446744073709551614,18446744073709551615"},
	} {
		if got := FormatSeeds(tc.in); got != tc.want {
			t.Errorf("FormatSeeds(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		seen := map[uint64]bool{}
		var xs []uint64
		for range 1 + rng.IntN(20) {
			v := uint64(rng.IntN(30))
			if !seen[v] {
				seen[v] = true
				xs = append(xs, v)
			}
		}
		got, err := ParseSeeds(FormatSeeds(xs))
		if err != nil || !reflect.DeepEqual(got, xs) {
			t.Fatalf("round trip of %v via %q gave %v, %v", xs, FormatSeeds(xs), got, err)
		}
	}
}

func TestParseAxis(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Axis
	}{
		{"ppo.learning_rate=0.001,0.003", Axis{"ppo.learning_rate", []string{"0.001", "0.003"}}},
		{" kl.controller.target = 0.01 , 0.02 ", Axis{"kl.controller.target", []string{"0.01", "0.02"}}},
		{"ppo.epochs=4", Axis{"ppo.epochs", []string{"4"}}},
		{"policy.hidden=[64,64],[128]", Axis{"policy.hidden", []string{"[64,64]", "[128]"}}},
		{"env.params={a: 1, b: 2},{}", Axis{"env.params", []string{"{a: 1, b: 2}", "{}"}}},
		{`name='a,b',"c,d"`, Axis{"name", []string{"'a,b'", `"c,d"`}}},
		{"name=x=y,z", Axis{"name", []string{"x=y", "z"}}},
	} {
		got, err := ParseAxis(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseAxis(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"ppo.learning_rate", "missing '='"},
		{"=1,2", "empty path"},
		{"ppo.epochs=", "empty value"},
		{"ppo.epochs=1,,2", "empty value"},
		{"ppo.epochs=1,2,", "empty value"},
		{"ppo.epochs=1,2,1", `value "1" listed twice`},
		{"seed=1,2", "--seeds"},
		{"policy.hidden=[64,64", "unclosed"},
		{"policy.hidden=64]", "unbalanced"},
		{"policy.hidden=[64}", "unbalanced"},
		{"name='abc", "unterminated"},
		{"name=\xff", "UTF-8"},
	} {
		_, err := ParseAxis(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "--grid") {
			t.Errorf("ParseAxis(%q) error %v, want one naming --grid and %q", tc.in, err, tc.want)
		}
	}
}

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Shard
	}{
		{"0/4", Shard{0, 4}},
		{"3/4", Shard{3, 4}},
		{" 0 / 1 ", Shard{0, 1}},
	} {
		got, err := ParseShard(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"4/4", "index must be in [0, 3]"},
		{"-1/4", "index must be in [0, 3]"},
		{"1/0", "count must be >= 1"},
		{"0/-2", "count must be >= 1"},
		{"1", "want i/n"},
		{"", "want i/n"},
		{"a/4", "integers"},
		{"1/4/5", "integers"},
	} {
		_, err := ParseShard(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "--shard") {
			t.Errorf("ParseShard(%q) error %v, want one naming --shard and %q", tc.in, err, tc.want)
		}
	}
}

// TestShardPartition: for every job count and shard count, each job is in
// exactly one shard, it is shard k mod n, and shard sizes differ by at
// most one.
func TestShardPartition(t *testing.T) {
	for jobs := 0; jobs <= 30; jobs++ {
		for n := 1; n <= 8; n++ {
			sizes := make([]int, n)
			for k := range jobs {
				owners := 0
				for i := range n {
					if (Shard{i, n}).Has(k) {
						owners++
						sizes[i]++
						if i != k%n {
							t.Fatalf("job %d of %d in shard %d/%d", k, jobs, i, n)
						}
					}
				}
				if owners != 1 {
					t.Fatalf("job %d with %d shards: in %d shards", k, n, owners)
				}
			}
			lo, hi := jobs, 0
			for _, s := range sizes {
				lo, hi = min(lo, s), max(hi, s)
			}
			if jobs > 0 && hi-lo > 1 {
				t.Fatalf("%d jobs, %d shards: sizes %v", jobs, n, sizes)
			}
		}
	}
	var whole Shard
	for k := range 10 {
		if !whole.Has(k) {
			t.Fatalf("the zero Shard lacks job %d", k)
		}
	}
}
