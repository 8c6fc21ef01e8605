package kernels

// SetQueryBlockForTest makes the active level's attention use the blocked
// kernels with qb lanes (the Go twins have no fixed width) and returns a
// function that restores the level's own choice.
func SetQueryBlockForTest(qb int) (restore func()) {
	prev := rowImpl.queryBlock
	rowImpl.queryBlock = qb
	return func() { rowImpl.queryBlock = prev }
}

// SetTransposedPVForTest makes the active level's blocked attention keep
// its running output transposed with the Go twins (pvOutTGeneric,
// outTGeneric) and returns a function that restores the level's choice.
func SetTransposedPVForTest() (restore func()) {
	prev, prevOut := rowImpl.pvOutT, rowImpl.outT
	rowImpl.pvOutT, rowImpl.outT = pvOutTGeneric, outTGeneric
	return func() { rowImpl.pvOutT, rowImpl.outT = prev, prevOut }
}
