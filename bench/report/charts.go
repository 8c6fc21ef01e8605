package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

func init() {
	plot.DefaultFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
}

// series is one set of bars: a value per group, with the least and most
// of the rounds (NaN: no bar).
type series struct {
	name           string
	values, lo, hi []float64
	color          color.Color
}

// palette gives each runtime the same colour in every chart.
var palette = map[string]color.Color{
	"vlmrt avx512":         rgb(0x1f4e9c),
	"vlmrt avx512 float32": rgb(0x1f4e9c),
	"vlmrt":                rgb(0x1f4e9c),
	"vlmrt avx2":           rgb(0x6f9fd8),
	"vlmrt avx2 float32":   rgb(0x6f9fd8),
	"vlmrt neon":           rgb(0x1f4e9c),
	"vlmrt avx512 int8":    rgb(0x138a5b),
	"vlmrt int8":           rgb(0x138a5b),
	"vlmrt avx2 int8":      rgb(0x72c6a0),
	"OpenBLAS":             rgb(0x8c8c8c),
	"PyTorch":              rgb(0xe0672b),
	"PyTorch int8":         rgb(0xf2b28c),
	"ONNX Runtime":         rgb(0x7b3fa0),
	"ONNX Runtime int8":    rgb(0xbf9bd6),
	"float32":              rgb(0x1f4e9c),
	"int8":                 rgb(0x138a5b),
	"decode":               rgb(0xb0b0b0),
	"preprocess":           rgb(0xe8b84a),
	"encode + generate":    rgb(0x1f4e9c),
	"2 threads":            rgb(0x1f4e9c),
}

var fallback = []color.Color{rgb(0x4c72b0), rgb(0xdd8452), rgb(0x55a868), rgb(0xc44e52), rgb(0x8172b3), rgb(0x937860)}

func rgb(v uint32) color.Color {
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
}

func colorOf(name string, i int) color.Color {
	if c, ok := palette[name]; ok {
		return c
	}
	return fallback[i%len(fallback)]
}

// chart is a bar chart: groups along the category axis, a bar per series
// in each group (or the series stacked), values written on the bars.
type chart struct {
	title, valueLabel string
	groups            []string
	series            []series
	horizontal        bool      // categories on the Y axis
	stacked           bool      // series stacked, the total written at the end
	totals            []float64 // the totals to write at the stacks' ends (default: the sums)
	rotateLabels      bool      // values written vertically (set when the bars are narrow)
	refLine           float64   // a dashed line at this value (0: none)
	refLabel          string
	width, height     vg.Length
	format            func(float64) string
	unitSuffix        string // appended to the values written on bars
}

func (ch *chart) save(path string) error {
	p := plot.New()
	p.Title.Text = ch.title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.Padding = vg.Points(8)
	p.Legend.Top = true
	p.Legend.Left = !ch.horizontal
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Legend.Padding = vg.Points(2)
	w, h := ch.width, ch.height
	if w == 0 {
		w = 9 * vg.Inch
	}
	if h == 0 {
		h = 4.5 * vg.Inch
	}
	n := len(ch.series)
	groups := float64(max(1, len(ch.groups)))
	var barWidth vg.Length
	if ch.stacked {
		barWidth = min(vg.Points(30), 0.6*(h-vg.Inch)/vg.Length(groups))
	} else {
		barWidth = min(vg.Points(40), 0.8*(w-vg.Inch)/vg.Length(groups)/vg.Length(max(1, n)))
		ch.rotateLabels = barWidth < vg.Points(24)
	}
	var prev *plotter.BarChart
	for i, s := range ch.series {
		vals := make(plotter.Values, len(ch.groups))
		for j := range vals {
			if j < len(s.values) && !math.IsNaN(s.values[j]) {
				vals[j] = s.values[j]
			}
		}
		b, err := plotter.NewBarChart(vals, barWidth)
		if err != nil {
			return err
		}
		b.Color = s.color
		if b.Color == nil {
			b.Color = colorOf(s.name, i)
		}
		b.LineStyle.Width = 0
		b.Horizontal = ch.horizontal
		if ch.stacked {
			if prev != nil {
				b.StackOn(prev)
			}
		} else {
			b.Offset = vg.Length(float64(i)-float64(n-1)/2) * barWidth
		}
		p.Add(b)
		p.Legend.Add(s.name, b)
		prev = b
	}
	p.Add(&annotations{ch: ch, barWidth: barWidth})
	last := groups - 0.5
	if ch.horizontal {
		p.NominalY(ch.groups...)
		p.X.Label.Text = ch.valueLabel
		p.X.Min = 0
		p.X.Tick.Marker = cleanTicks{}
		p.Y.Min, p.Y.Max = -0.5, last
		p.Add(plotter.NewGrid())
		p.Y.Tick.Label.Font.Size = vg.Points(10)
	} else {
		p.NominalX(ch.groups...)
		p.Y.Label.Text = ch.valueLabel
		p.Y.Min = 0
		p.Y.Tick.Marker = cleanTicks{}
		p.X.Min, p.X.Max = -0.5, last
		grid := plotter.NewGrid()
		grid.Vertical.Width = 0
		p.Add(grid)
		p.X.Tick.Label.Font.Size = vg.Points(10)
	}
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(96))
	p.Draw(draw.New(c))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// annotations draws what plotter.BarChart does not: the least-most
// whiskers of the rounds, the value of each bar (or the total of a
// stack), and the reference line.
type annotations struct {
	ch       *chart
	barWidth vg.Length
}

func (a *annotations) label(size float64, rot bool) text.Style {
	s := text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, vg.Points(size)), Handler: plot.DefaultTextHandler}
	switch {
	case a.ch.horizontal:
		s.XAlign, s.YAlign = draw.XLeft, draw.YCenter
	case rot:
		s.Rotation = math.Pi / 2
		s.XAlign, s.YAlign = draw.XLeft, draw.YCenter
	default:
		s.XAlign, s.YAlign = draw.XCenter, draw.YBottom
	}
	return s
}

func (a *annotations) text(v float64) string {
	f := a.ch.format
	if f == nil {
		f = formatValue
	}
	return f(v) + a.ch.unitSuffix
}

func (a *annotations) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	ch := a.ch
	n := len(ch.series)
	pad := vg.Points(4)
	whisker := draw.LineStyle{Color: color.Gray{Y: 40}, Width: vg.Points(0.8)}
	// point maps (category, value) to the canvas.
	point := func(cat float64, off vg.Length, val float64) vg.Point {
		if ch.horizontal {
			return vg.Point{X: trX(val), Y: trY(cat) + off}
		}
		return vg.Point{X: trX(cat) + off, Y: trY(val)}
	}
	if ch.stacked {
		size := 9.0
		for j := range ch.groups {
			total, any := 0.0, false
			for _, s := range ch.series {
				if j < len(s.values) && !math.IsNaN(s.values[j]) {
					total += s.values[j]
					any = true
				}
			}
			if !any {
				continue
			}
			if j < len(ch.totals) && !math.IsNaN(ch.totals[j]) {
				total = ch.totals[j]
			}
			pt := point(float64(j), 0, total)
			if ch.horizontal {
				pt.X += pad
			} else {
				pt.Y += pad
			}
			c.FillText(a.label(size, false), pt, a.text(total))
		}
	} else {
		size := 8.0
		if ch.rotateLabels {
			size = 7
		}
		for i, s := range ch.series {
			off := vg.Length(float64(i)-float64(n-1)/2) * a.barWidth
			for j := range ch.groups {
				if j >= len(s.values) || math.IsNaN(s.values[j]) {
					continue
				}
				v, top := s.values[j], s.values[j]
				if j < len(s.lo) && !math.IsNaN(s.lo[j]) && s.hi[j] > s.lo[j] {
					lo, hi := point(float64(j), off, s.lo[j]), point(float64(j), off, s.hi[j])
					c.StrokeLine2(whisker, lo.X, lo.Y, hi.X, hi.Y)
					cap := a.barWidth / 4
					for _, e := range []vg.Point{lo, hi} {
						if ch.horizontal {
							c.StrokeLine2(whisker, e.X, e.Y-cap, e.X, e.Y+cap)
						} else {
							c.StrokeLine2(whisker, e.X-cap, e.Y, e.X+cap, e.Y)
						}
					}
					top = math.Max(top, s.hi[j])
				}
				pt := point(float64(j), off, top)
				if ch.horizontal {
					pt.X += pad
				} else {
					pt.Y += pad
				}
				c.FillText(a.label(size, ch.rotateLabels), pt, a.text(v))
			}
		}
	}
	if ch.refLine > 0 {
		line := draw.LineStyle{Color: color.Gray{Y: 90}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
		if ch.horizontal {
			x := trX(ch.refLine)
			c.StrokeLine2(line, x, c.Min.Y, x, c.Max.Y)
		} else {
			y := trY(ch.refLine)
			c.StrokeLine2(line, c.Min.X, y, c.Max.X, y)
			if ch.refLabel != "" {
				s := a.label(8, false)
				s.XAlign, s.YAlign = draw.XRight, draw.YBottom
				c.FillText(s, vg.Point{X: c.Max.X - pad, Y: y + pad/2}, ch.refLabel)
			}
		}
	}
}

// DataRange leaves room for the whiskers and the written values.
func (a *annotations) DataRange() (xmin, xmax, ymin, ymax float64) {
	top := a.ch.refLine
	if a.ch.stacked {
		for j := range a.ch.groups {
			t := 0.0
			for _, s := range a.ch.series {
				if j < len(s.values) && !math.IsNaN(s.values[j]) {
					t += s.values[j]
				}
			}
			top = math.Max(top, t)
		}
	} else {
		for _, s := range a.ch.series {
			for j, v := range s.values {
				if !math.IsNaN(v) {
					top = math.Max(top, v)
				}
				if j < len(s.hi) && !math.IsNaN(s.hi[j]) {
					top = math.Max(top, s.hi[j])
				}
			}
		}
	}
	// Room above the bars for the values and the legend.
	room := 1.1 + 0.045*float64(len(a.ch.series))
	if a.ch.rotateLabels {
		room += 0.1
	}
	if a.ch.horizontal {
		room = 1.15
		return 0, top * room, 0, float64(len(a.ch.groups) - 1)
	}
	return 0, float64(len(a.ch.groups) - 1), 0, top * room
}

// formatValue writes v with about three significant digits.
func formatValue(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1000:
		return fmt.Sprintf("%.0f", v)
	case a >= 100:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

// cleanTicks are plot.DefaultTicks labelled without trailing zeros
// ("500", not "500.00").
type cleanTicks struct{}

func (cleanTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'f', -1, 64)
		}
	}
	return ticks
}
