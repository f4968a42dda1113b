package privacy

import "testing"

func TestMaskPhone(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"13812345678", "138****5678"},
		{"19900001111", "199****1111"},
		{"0530-5551234", "0530-***1234"},
		{"0531-85551234", "0531-****1234"},
		{"010-62345678", "010-****5678"},
		{"12345", "***45"},
		{"138 1234 5678", "***********78"}, // not normalised: fall back
		{"05305551234", "*********34"},
		{"+8613812345678", "************78"},
		{"1", "*"},
		{"12", "**"},
		{"123", "*23"},
		{"电话号码", "**号码"},
		{"0530-5551234-801", "**************01"},
	}
	for _, c := range cases {
		if got := MaskPhone(c.in); got != c.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMaskIDNumber(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"371722199001011234", "371722********1234"},
		{"11010519491231002X", "110105********002X"},
		{"371722900101123", "*************23"},
		{"12", "**"},
		{"abc", "*bc"},
	}
	for _, c := range cases {
		if got := MaskIDNumber(c.in); got != c.want {
			t.Errorf("MaskIDNumber(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMaskName(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"李", "李"},
		{"张三", "张*"},
		{"欧阳娜娜", "欧***"},
		{"王小明", "王**"},
		{"阿卜杜·热合曼", "阿******"},
		{"Wang Fang", "W********"},
		{"  张三  ", "张*"},
		{"   ", ""},
		{"A", "A"},
	}
	for _, c := range cases {
		if got := MaskName(c.in); got != c.want {
			t.Errorf("MaskName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
