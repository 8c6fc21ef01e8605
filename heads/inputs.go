package heads

import (
	"fmt"
	"strings"

	"github.com/vlmrt/vlmrt/runtime"
	"github.com/vlmrt/vlmrt/weights"
)

// InputPrefix and OutputPrefix name the tensors of an inputs or outputs
// file: "input.vision_features", "output.logits", "output.cap.logits".
const (
	InputPrefix  = "input."
	OutputPrefix = "output."
)

// Inputs holds named input tensors and their shapes.
type Inputs struct {
	Shapes map[string][]int
	Values map[string][]float32
}

// ReadInputs collects the tensors named "input.<key>" of f. The values are
// copied, so f may be closed afterwards.
func ReadInputs(f *weights.File) (Inputs, error) {
	in := Inputs{Shapes: map[string][]int{}, Values: map[string][]float32{}}
	for _, t := range f.Tensors() {
		key, ok := strings.CutPrefix(t.Name, InputPrefix)
		if !ok {
			continue
		}
		v, err := f.Float32(t.Name)
		if err != nil {
			return Inputs{}, err
		}
		in.Shapes[key] = append([]int(nil), t.Shape...)
		in.Values[key] = append([]float32(nil), v...)
	}
	if len(in.Shapes) == 0 {
		return Inputs{}, fmt.Errorf("heads: %s: no tensors named %s<key>", f.Name(), InputPrefix)
	}
	return in, nil
}

// Fill copies the values of in into the session's inputs. Inputs the plan
// does not read are ignored.
func (in Inputs) Fill(s *runtime.Session) error {
	for _, spec := range s.Plan().Inputs() {
		dst, err := s.Input(spec.Name)
		if err != nil {
			return err
		}
		v, ok := in.Values[spec.Name]
		if !ok {
			return fmt.Errorf("heads: missing input %q", spec.Name)
		}
		if len(v) != len(dst) {
			return fmt.Errorf("heads: input %q has %d values, the plan wants %d", spec.Name, len(v), len(dst))
		}
		copy(dst, v)
	}
	return nil
}
