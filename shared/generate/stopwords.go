package generate

// stopword reports whether w (lower-case, apostrophes dropped) is a function word or a
// spoken filler that says nothing about a meeting's content.
func stopword(w string) bool { return stopwords[w] }

var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{
		"a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are",
		"as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
		"can", "cant", "could", "couldnt", "did", "didnt", "do", "does", "doesnt", "doing", "dont", "down",
		"during", "each", "few", "for", "from", "further", "get", "got", "gonna", "had", "has", "have",
		"having", "he", "her", "here", "hers", "him", "his", "how", "i", "id", "if", "ill", "im", "in",
		"into", "is", "isnt", "it", "its", "itll", "ive", "just", "kind", "know", "lets", "like", "me",
		"mean", "might", "more", "most", "much", "must", "my", "no", "nor", "not", "now", "of", "off",
		"oh", "ok", "okay", "on", "once", "one", "only", "or", "other", "our", "ours", "out", "over",
		"own", "really", "right", "said", "same", "say", "see", "she", "should", "so", "some", "sort",
		"such", "sure", "than", "that", "thats", "the", "their", "them", "then", "there", "theres",
		"these", "they", "theyre", "thing", "things", "think", "this", "those", "through", "to", "too",
		"um", "uh", "under", "until", "up", "us", "very", "want", "was", "we", "well", "were", "weve",
		"were", "what", "whats", "when", "where", "which", "while", "who", "whom", "why", "will", "with",
		"would", "yeah", "yes", "yep", "you", "youll", "your", "youre", "yours", "going", "go", "actually",
		"basically", "probably", "maybe", "yet", "still", "lot", "bit", "good", "great", "thanks",
		"thank", "wed", "well", "theyll", "hes", "shes", "let", "make", "need", "way", "look", "alright",
		"guess", "stuff", "pretty", "quite", "already", "anyway", "cool", "hmm", "sounds", "yup",
	} {
		m[w] = true
	}
	return m
}()
