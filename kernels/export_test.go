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

// Int8KernelForTest returns the name of the int8 micro-kernel family that
// the int8 packers pack for at the active level.
func Int8KernelForTest() string { return qgemmActive.name }

// Int8KernelsForTest returns the names of every int8 family this CPU can
// run.
func Int8KernelsForTest() []string {
	var names []string
	for _, k := range qgemmKernels() {
		names = append(names, k.name)
	}
	return names
}

// UseInt8KernelForTest makes the family named name (one of
// Int8KernelsForTest) the one the int8 packers pack for, at its level, and
// returns a function that restores the previous level and its choice.
func UseInt8KernelForTest(name string) (restore func()) {
	prev := Active()
	for _, k := range qgemmKernels() {
		if k.name == name {
			if err := SetLevel(k.level); err != nil {
				panic(err)
			}
			qgemmActive = k
			return func() {
				if err := SetLevel(prev); err != nil {
					panic(err)
				}
			}
		}
	}
	panic("kernels: no int8 family " + name)
}
