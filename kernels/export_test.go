package kernels

// SetQueryBlockForTest makes the active level's attention use the blocked
// kernels with qb lanes (the Go twins have no fixed width) and returns a
// function that restores the level's own choice.
func SetQueryBlockForTest(qb int) (restore func()) {
	prev := rowImpl.queryBlock
	rowImpl.queryBlock = qb
	return func() { rowImpl.queryBlock = prev }
}
