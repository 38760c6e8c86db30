package es

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestZipfTable checks the alias table's draws against the exact Zipf
// probabilities.
func TestZipfTable(t *testing.T) {
	for _, n := range []int{1, 2, 10, 1000} {
		z := newZipfTable(n, zipfSkew)
		total := 0.0
		for k := range n {
			total += math.Pow(float64(k+1), -zipfSkew)
		}
		const draws = 2000000
		got := make([]int, n)
		rng := rand.New(rand.NewPCG(1, 2))
		for range draws {
			got[z.draw(rng.Uint64())]++
		}
		for k := range min(n, 20) {
			want := math.Pow(float64(k+1), -zipfSkew) / total * draws
			// Five standard deviations of a binomial count.
			if tol := 5*math.Sqrt(want) + 1; math.Abs(float64(got[k])-want) > tol {
				t.Errorf("n=%d rank %d: %d draws, want %.0f ± %.0f", n, k, got[k], want, tol)
			}
		}
	}
	// The extremes of the random number map to valid ranks.
	z := newZipfTable(7, zipfSkew)
	for _, r := range []uint64{0, math.MaxUint64, 1 << 63} {
		if k := z.draw(r); k < 0 || k >= 7 {
			t.Errorf("draw(%#x) = %d", r, k)
		}
	}
}
