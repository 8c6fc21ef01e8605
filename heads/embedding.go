package heads

// generationWeights are the runtime's optional embedding tables (SPEC.md 1,
// 6): token_embedding [V, D] and position_embedding [Lmax, D], used only by
// text generation to embed the tokens it emits.
type generationWeights struct {
	tokens    []float32 // V x D
	positions []float32 // Lmax x D, nil when absent
	maxLen    int
}

func loadGenerationWeights(l *loader, dim, vocab int) *generationWeights {
	if !l.src.Has("token_embedding") {
		return nil
	}
	g := &generationWeights{tokens: l.vec("token_embedding", vocab, dim)}
	if l.src.Has("position_embedding") {
		v, err := l.src.Float32("position_embedding")
		if err != nil {
			l.fail(err)
			return nil
		}
		if len(v)%dim != 0 || len(v) == 0 {
			l.fail(errShape("position_embedding", len(v), dim))
			return nil
		}
		g.maxLen = len(v) / dim
		g.positions = l.vec("position_embedding", g.maxLen, dim)
	}
	return g
}
