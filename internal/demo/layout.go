package demo

import (
	"fmt"
	"math"
	"math/rand/v2"

	"civicgrid/internal/geo"
	"civicgrid/internal/region"
)

// rect is an axis-aligned box in lng/lat.
type rect struct{ w, s, e, n float64 }

func (r rect) polygon() geo.MultiPolygon {
	return geo.MultiPolygon{{{{Lng: r.w, Lat: r.s}, {Lng: r.e, Lat: r.s}, {Lng: r.e, Lat: r.n}, {Lng: r.w, Lat: r.n}, {Lng: r.w, Lat: r.s}}}}
}

// cityBox is Heze's extent, roughly: 114.85–116.35°E, 34.65–35.95°N.
var cityBox = rect{114.85, 34.65, 116.35, 35.95}

// countyRows lays the county-level units out as they lie on the map, north
// to south, west to east, so the demo map looks like Heze from afar.
var countyRows = [][]string{
	{"371726", "371725", "371724"},                     // 鄄城 郓城 巨野
	{"371728", "371702", "371772", "371771", "371723"}, // 东明 牡丹 高新 开发区 成武
	{"371703", "371721", "371722"},                     // 定陶 曹县 单县
}

// splitRows cuts box into rows of cells, north row first; weights give each
// cell's share of its row, and each row's height follows its total weight.
// Split lines are jittered so the pattern does not look like graph paper.
func splitRows(box rect, rows [][]float64, rng *rand.Rand) [][]rect {
	total := 0.0
	rowW := make([]float64, len(rows))
	for i, r := range rows {
		for _, w := range r {
			rowW[i] += w
		}
		total += rowW[i]
	}
	out := make([][]rect, len(rows))
	n := box.n
	for i, r := range rows {
		h := (box.n - box.s) * rowW[i] / total
		s := round7(n - h)
		if i == len(rows)-1 {
			s = box.s
		}
		x := box.w
		for j, w := range r {
			e := round7(x + (box.e-box.w)*w/rowW[i])
			if j == len(r)-1 {
				e = box.e
			}
			out[i] = append(out[i], rect{x, s, e, n})
			x = e
		}
		n = s
	}
	_ = rng
	return out
}

// gridLayout cuts a cell into n sub-cells in roughly square rows.
func gridLayout(n int, box rect) [][]float64 {
	aspect := (box.e - box.w) * math.Cos(box.s*math.Pi/180) / (box.n - box.s)
	cols := max(1, int(math.Round(math.Sqrt(float64(n)*aspect))))
	rowsN := (n + cols - 1) / cols
	var rows [][]float64
	left := n
	for r := 0; r < rowsN; r++ {
		k := min(cols, left-(rowsN-r-1)*1)
		k = min(k, (left+(rowsN-r)-1)/(rowsN-r))
		row := make([]float64, k)
		for i := range row {
			row[i] = 1
		}
		rows = append(rows, row)
		left -= k
	}
	return rows
}

// jitteredGrids cuts a village into nx×ny quadrilateral grids: interior
// lattice points move randomly, edge points move only along their edge, so
// the grids tile the village exactly and never overlap.
func jitteredGrids(box rect, nx, ny int, rng *rand.Rand) []geo.MultiPolygon {
	pts := make([][]geo.Point, nx+1)
	dx, dy := (box.e-box.w)/float64(nx), (box.n-box.s)/float64(ny)
	for i := 0; i <= nx; i++ {
		pts[i] = make([]geo.Point, ny+1)
		for j := 0; j <= ny; j++ {
			p := geo.Point{Lng: box.w + float64(i)*dx, Lat: box.s + float64(j)*dy}
			if i == nx {
				p.Lng = box.e
			}
			if j == ny {
				p.Lat = box.n
			}
			if i > 0 && i < nx {
				p.Lng += (rng.Float64() - 0.5) * 0.4 * dx
			}
			if j > 0 && j < ny {
				p.Lat += (rng.Float64() - 0.5) * 0.4 * dy
			}
			pts[i][j] = geo.Point{Lng: round7(p.Lng), Lat: round7(p.Lat)}
		}
	}
	var out []geo.MultiPolygon
	for j := ny - 1; j >= 0; j-- {
		for i := 0; i < nx; i++ {
			ring := geo.Ring{pts[i][j], pts[i+1][j], pts[i+1][j+1], pts[i][j+1], pts[i][j]}
			out = append(out, geo.MultiPolygon{{ring}})
		}
	}
	return out
}

func round7(f float64) float64 { return math.Round(f*1e7) / 1e7 }

// gridShapes are the (nx, ny) splits a village may get, giving 4–8 grids
// (6 on average: with ~29 villages a town, ~29,000 grids in all).
var gridShapes = [][2]int{{2, 2}, {3, 2}, {3, 2}, {4, 2}}

// Village and community names are made from common surnames of south-west
// Shandong and the endings its place names use.
var (
	surnames  = []rune("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏付方白邹孟熊秦邱江尹薛闫段雷侯史陶贺顾毛郝邵万钱严武戴孔汤")
	endings   = []string{"庄", "楼", "集", "寨", "屯", "营", "堂", "庙", "海", "店", "口", "园", "桥", "湾"}
	prefixes  = []string{"东", "西", "南", "北", "前", "后", "大", "小"}
	community = []string{"和平", "幸福", "人民", "建设", "解放", "胜利", "光明", "文化", "牡丹", "丹阳", "青年", "中华", "长江", "黄河", "康庄", "花园", "新华", "永安", "银河", "锦绣", "凤凰", "天香", "曹州", "湖西", "滨河", "振兴", "和谐", "富民", "育才", "书香", "翠苑", "阳光", "紫荆", "香榭", "万福", "开元", "兴华", "中山", "民主", "团结"}
)

func villageName(rng *rand.Rand, street bool, used map[string]bool) string {
	for try := 0; ; try++ {
		var name string
		if street {
			name = community[rng.IntN(len(community))] + "社区"
			if try > 20 {
				name = community[rng.IntN(len(community))] + prefixes[rng.IntN(4)] + "社区"
			}
		} else {
			name = string(surnames[rng.IntN(len(surnames))]) + endings[rng.IntN(len(endings))] + "村"
			if try > 5 {
				name = prefixes[rng.IntN(len(prefixes))] + name
			}
		}
		if try > 60 {
			name = fmt.Sprintf("%s%d", name, try)
		}
		if !used[name] {
			used[name] = true
			return name
		}
	}
}

var cnDigits = []string{"一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}

func gridName(i int) string {
	if i < 10 {
		return "第" + cnDigits[i] + "网格"
	}
	return fmt.Sprintf("第%d网格", i+1)
}

// townIsStreet reports whether a town is an urban street (街道), whose
// children are communities rather than villages.
func townIsStreet(name string) bool {
	r := []rune(name)
	return len(r) >= 2 && string(r[len(r)-2:]) == "街道"
}

var _ = region.Grid
