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

// SetDecodeKernelsForTest makes the active level's attention take the row
// path 4 heads at a time with the Go twins (decodeScoresGeneric,
// decodePVGeneric) and returns a function that restores the level's
// choice.
func SetDecodeKernelsForTest() (restore func()) {
	prev := rowImpl
	rowImpl.decodeScores, rowImpl.decodePV, rowImpl.decodeDimStep = decodeScoresGeneric, decodePVGeneric, 1
	return func() { rowImpl = prev }
}
