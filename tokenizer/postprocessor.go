package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
)

// template is what every supported post-processor does to a single
// sequence: it writes special token ids and the sequence's ids in a fixed
// order. TemplateProcessing is one directly; BertProcessing and
// RobertaProcessing are [cls] $A [sep]; ByteLevel is $A alone (it only
// adjusts offsets); a Sequence is its processors' templates composed.
type template []templateItem

// templateItem is either special token ids or, with sequence set, the
// place of the encoded text.
type templateItem struct {
	ids      []int32
	sequence bool
}

var identityTemplate = template{{sequence: true}}

// added returns the number of special ids the template writes.
func (tm template) added() int {
	n := 0
	for _, it := range tm {
		n += len(it.ids)
	}
	return n
}

// apply appends the template to dst with content as the sequence.
func (tm template) apply(dst, content []int32) []int32 {
	for _, it := range tm {
		if it.sequence {
			dst = append(dst, content...)
		} else {
			dst = append(dst, it.ids...)
		}
	}
	return dst
}

// compose returns the template of tm applied after inner: each sequence
// item of tm becomes inner's items.
func (tm template) compose(inner template) template {
	var out template
	for _, it := range tm {
		if it.sequence {
			out = append(out, inner...)
		} else {
			out = append(out, it)
		}
	}
	return out
}

// maxTemplateIDs bounds the special ids a post-processor may add.
const maxTemplateIDs = 1 << 12

// parsePostProcessor builds the single-sequence template of the JSON
// object raw; ids must be below vocabSize.
func parsePostProcessor(raw json.RawMessage, vocabSize int, depth int) (template, error) {
	if depth > maxSequenceDepth {
		return nil, errors.New("Sequence post-processors nested too deep")
	}
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, err
	}
	checkID := func(what string, id int64) (int32, error) {
		if id < 0 || id >= int64(vocabSize) {
			return 0, fmt.Errorf("%s: %s id %d outside the vocabulary [0, %d)", head.Type, what, id, vocabSize)
		}
		return int32(id), nil
	}
	switch head.Type {
	case "BertProcessing", "RobertaProcessing":
		var c struct {
			Sep [2]json.RawMessage `json:"sep"`
			Cls [2]json.RawMessage `json:"cls"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%s: %w", head.Type, err)
		}
		var ids [2]int32
		for i, pair := range [2][2]json.RawMessage{c.Cls, c.Sep} {
			var id int64
			if err := json.Unmarshal(pair[1], &id); err != nil {
				return nil, fmt.Errorf("%s: cls and sep must be [token, id]: %w", head.Type, err)
			}
			var err error
			if ids[i], err = checkID([2]string{"cls", "sep"}[i], id); err != nil {
				return nil, err
			}
		}
		return template{{ids: ids[:1]}, {sequence: true}, {ids: ids[1:]}}, nil
	case "TemplateProcessing":
		var c struct {
			Single []struct {
				SpecialToken *struct {
					ID string `json:"id"`
				} `json:"SpecialToken"`
				Sequence *struct {
					ID string `json:"id"`
				} `json:"Sequence"`
			} `json:"single"`
			SpecialTokens map[string]struct {
				IDs []int64 `json:"ids"`
			} `json:"special_tokens"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("TemplateProcessing: %w", err)
		}
		var tm template
		total := 0
		for i, it := range c.Single {
			switch {
			case it.Sequence != nil:
				if it.Sequence.ID != "A" {
					return nil, fmt.Errorf("TemplateProcessing: single[%d]: sequence %q in a single template", i, it.Sequence.ID)
				}
				tm = append(tm, templateItem{sequence: true})
			case it.SpecialToken != nil:
				st, ok := c.SpecialTokens[it.SpecialToken.ID]
				if !ok {
					return nil, fmt.Errorf("TemplateProcessing: single[%d]: special token %q not in special_tokens", i, it.SpecialToken.ID)
				}
				total += len(st.IDs)
				if total > maxTemplateIDs {
					return nil, fmt.Errorf("TemplateProcessing: more than %d special ids", maxTemplateIDs)
				}
				ids := make([]int32, len(st.IDs))
				for k, id := range st.IDs {
					var err error
					if ids[k], err = checkID(fmt.Sprintf("special token %q", it.SpecialToken.ID), id); err != nil {
						return nil, err
					}
				}
				tm = append(tm, templateItem{ids: ids})
			default:
				return nil, fmt.Errorf("TemplateProcessing: single[%d]: neither SpecialToken nor Sequence", i)
			}
		}
		return tm, nil
	case "ByteLevel":
		return identityTemplate, nil
	case "Sequence":
		var c struct {
			Processors []json.RawMessage `json:"processors"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("Sequence: %w", err)
		}
		tm := identityTemplate
		for i, r := range c.Processors {
			next, err := parsePostProcessor(r, vocabSize, depth+1)
			if err != nil {
				return nil, fmt.Errorf("Sequence[%d]: %w", i, err)
			}
			tm = next.compose(tm)
			if tm.added() > maxTemplateIDs || len(tm) > maxTemplateIDs {
				return nil, fmt.Errorf("Sequence: more than %d special ids", maxTemplateIDs)
			}
		}
		return tm, nil
	case "":
		return nil, errors.New(`no "type"`)
	}
	return nil, fmt.Errorf("unknown post_processor type %q", head.Type)
}
