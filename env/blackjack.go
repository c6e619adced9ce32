package env

import (
	"fmt"
	"math/rand/v2"
)

// blackjack is Gymnasium 1.0.0's Blackjack-v1: cards are drawn with replacement from
// 1-9, 10, 10, 10, 10 (aces are 1, face cards 10); the dealer and then the player draw two cards.
// The player hits (1) or sticks (0); a bust loses (-1); on sticking the dealer draws below 17 and
// the higher score wins (+1, 0, -1). With sab (Sutton & Barto's rules), a player's natural
// (ace and ten) beats anything but a dealer's natural; otherwise with natural, a winning natural
// pays 1.5. The observation is (player sum, dealer's showing card, usable ace).
//
// The state is the count of each card value 1-10 in the player's hand, the same for the
// dealer's, and the dealer's showing card: 21 values.
type blackjack struct {
	sab, natural bool
	player       [10]int
	dealer       [10]int
	showing      int
}

func blackjackSpec() Spec {
	return Spec{
		ID:  "Blackjack-v1",
		Doc: "play one hand of blackjack against a dealer who draws below 17; hit (1) or stick (0); +1 win, 0 draw, -1 loss",
		Params: []Param{
			{"sab", 1, "1: Sutton & Barto's rules (a natural beats a non-natural 21; overrides natural)"},
			{"natural", 0, "1: a winning natural pays 1.5 (when sab is 0)"},
		},
		New: func(cfg Config) (Env, error) {
			sab, err := boolParam(cfg, "sab")
			if err != nil {
				return nil, err
			}
			nat, err := boolParam(cfg, "natural")
			if err != nil {
				return nil, err
			}
			obs := Tuple{Spaces: []Space{Discrete{32}, Discrete{11}, Discrete{2}}}
			return newSim(&blackjack{sab: sab, natural: nat}, obs, Discrete{2}, cfg), nil
		},
	}
}

// drawCard draws uniformly from the 13 ranks, as np_random.choice(deck) does.
func drawCard(rng *rand.Rand) int { return min(rng.IntN(13)+1, 10) }

// hand is a count of card values 1-10.
type hand = [10]int

func handSum(h *hand) (sum int, usableAce bool) {
	for v, k := range h {
		sum += (v + 1) * k
	}
	if h[0] > 0 && sum+10 <= 21 {
		return sum + 10, true
	}
	return sum, false
}

func handScore(h *hand) int {
	s, _ := handSum(h)
	if s > 21 {
		return 0
	}
	return s
}

func isNatural(h *hand) bool {
	cards := 0
	for _, k := range h {
		cards += k
	}
	return cards == 2 && h[0] == 1 && h[9] == 1
}

func (b *blackjack) reset(rng *rand.Rand) {
	b.player, b.dealer = hand{}, hand{}
	b.showing = drawCard(rng)
	b.dealer[b.showing-1]++
	b.dealer[drawCard(rng)-1]++
	b.player[drawCard(rng)-1]++
	b.player[drawCard(rng)-1]++
}

func (b *blackjack) step(a []float64, rng *rand.Rand) (float64, bool) {
	if a[0] == 1 {
		b.player[drawCard(rng)-1]++
		if s, _ := handSum(&b.player); s > 21 {
			return -1, true
		}
		return 0, false
	}
	for {
		if s, _ := handSum(&b.dealer); s >= 17 {
			break
		}
		b.dealer[drawCard(rng)-1]++
	}
	p, d := handScore(&b.player), handScore(&b.dealer)
	r := 0.0
	switch {
	case p > d:
		r = 1
	case p < d:
		r = -1
	}
	switch {
	case b.sab && isNatural(&b.player) && !isNatural(&b.dealer):
		r = 1
	case !b.sab && b.natural && isNatural(&b.player) && r == 1:
		r = 1.5
	}
	return r, true
}

func (b *blackjack) observe(obs []float64) {
	s, ace := handSum(&b.player)
	obs[0], obs[1], obs[2] = float64(s), float64(b.showing), 0
	if ace {
		obs[2] = 1
	}
	// The sum stays inside Discrete(32): the player hits at 21 at most, and 21 + 10 = 31.
}

func (b *blackjack) state() []float64 {
	s := make([]float64, 0, 21)
	for _, k := range b.player {
		s = append(s, float64(k))
	}
	for _, k := range b.dealer {
		s = append(s, float64(k))
	}
	return append(s, float64(b.showing))
}

func (b *blackjack) setState(s []float64) error {
	var p, d hand
	for i := range 10 {
		if s[i] != float64(int(s[i])) || s[i] < 0 || s[10+i] != float64(int(s[10+i])) || s[10+i] < 0 {
			return fmt.Errorf("env: blackjack state %v: card counts must be non-negative integers", s)
		}
		p[i], d[i] = int(s[i]), int(s[10+i])
	}
	show := int(s[20])
	if float64(show) != s[20] || show < 1 || show > 10 || d[show-1] == 0 {
		return fmt.Errorf("env: blackjack state %v: the showing card must be a card of the dealer's hand", s)
	}
	if ps, _ := handSum(&p); ps > 31 {
		return fmt.Errorf("env: blackjack state %v: player sum %d exceeds 31", s, ps)
	}
	b.player, b.dealer, b.showing = p, d, show
	return nil
}
