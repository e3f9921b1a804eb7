package generate

import "testing"

func TestIsDecision(t *testing.T) {
	cases := []struct {
		s    string
		want bool
	}{
		{"We decided to move the launch to April.", true},
		{"Then we approve the Q3 budget as proposed.", true},
		{"So we choose option B for the vendor.", true},
		{"Let's go with the smaller rollout.", true},
		{"Do we approve the budget?", false},
		{"I approve.", false},
		{"We should think about the budget next week.", false},
		{"Grace will send the deck by Friday.", false},
	}
	for _, c := range cases {
		if got := isDecision(c.s); got != c.want {
			t.Errorf("isDecision(%q) = %v, want %v", c.s, got, c.want)
		}
	}
}
