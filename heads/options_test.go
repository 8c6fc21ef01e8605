package heads

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlmrt/vlmrt/generate"
	"github.com/vlmrt/vlmrt/parallel"
	"github.com/vlmrt/vlmrt/runtime"
)

// TestCompileOptions checks the common path of Compile, no options, runs
// every task of a multi-task model; ForTask selects one; the generator's
// options are refused rather than ignored.
func TestCompileOptions(t *testing.T) {
	_, m, in := openModel(t, "../testdata/keras/multitask.safetensors")
	names := func(p *runtime.Plan) (out []string) {
		for _, o := range p.Outputs() {
			out = append(out, o.Name)
		}
		return out
	}
	all, err := m.Compile(in.Shapes)
	require.NoError(t, err)
	for _, task := range m.Tasks() {
		assert.True(t, slices.ContainsFunc(names(all), func(n string) bool { return len(n) > len(task) && n[:len(task)+1] == task+"." }),
			"no options: task %s runs (outputs %v)", task, names(all))
	}
	vqa, err := m.Compile(in.Shapes, ForTask("vqa"))
	require.NoError(t, err)
	assert.Equal(t, []string{"vqa.answer_logits"}, names(vqa))

	_, err = m.Compile(in.Shapes, ForTask("vqa"), MaxLength(8))
	assert.ErrorContains(t, err, "NewGenerator")
	_, err = m.Compile(in.Shapes, Beam(2))
	assert.ErrorContains(t, err, "NewGenerator")
}

// TestGeneratorDefaults checks that NewGenerator with no options serves
// the lengths of the file's generation metadata: a Generate with the
// file's beam works, one beam more is refused.
func TestGeneratorDefaults(t *testing.T) {
	_, m, in := openModel(t, filepath.Join(referenceDir, "generation_swiglu.safetensors"))
	cfg, ok := m.Generation()
	require.True(t, ok)
	require.Greater(t, cfg.BeamSize, 1, "the fixture names a beam")
	g, err := m.NewGenerator(in.Shapes)
	require.NoError(t, err)
	o := generate.Options{BOS: cfg.BOS, EOS: cfg.EOS, MaxLength: cfg.MaxLength, Beam: cfg.BeamSize}
	_, err = g.Generate(in, o)
	require.NoError(t, err)
	o.Beam++
	_, err = g.Generate(in, o)
	assert.ErrorContains(t, err, "beam")

	g, err = m.NewGenerator(in.Shapes, Beam(cfg.BeamSize+1))
	require.NoError(t, err)
	_, err = g.Generate(in, o)
	assert.NoError(t, err, "Beam raises the bound")
	_, err = m.NewGenerator(in.Shapes, MaxLength(-1))
	assert.Error(t, err)
}

// TestSessionOptionsAllocateNothing checks that a session made with no
// options and one made WithPool both run without allocating.
func TestSessionOptionsAllocateNothing(t *testing.T) {
	_, m, in := openModel(t, "../testdata/keras/captioning_swiglu.safetensors")
	plan, err := m.Compile(in.Shapes)
	require.NoError(t, err)
	pool := parallel.New(2)
	defer pool.Close()
	for name, s := range map[string]*runtime.Session{
		"no options": plan.NewSession(),
		"WithPool":   plan.NewSession(runtime.WithPool(pool)),
	} {
		s.Run()
		assert.Zero(t, testing.AllocsPerRun(5, s.Run), name)
	}
}
