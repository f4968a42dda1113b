package cases

import (
	"strconv"
	"time"
)

type timeLike interface {
	IsZero() bool
	In(*time.Location) time.Time
}

func itoa(n int) string { return strconv.Itoa(n) }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 6, 64) }
