package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"civicgrid/internal/workcal"
)

// cmdHolidays lists or imports the official holiday calendar the deadlines
// count with.
func cmdHolidays(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("holidays: want a subcommand: list, import")
	}
	fs := newFlags("holidays "+args[0], stderr)
	var c common
	c.register(fs)
	switch args[0] {
	case "import":
		file := fs.String("file", "", "the State Council's notice for one year, in holiday-cn JSON form (as in ../shared/data/holidays)")
		m, err := open(ctx, fs, &c, args[1:], stderr, nil)
		if err != nil {
			return err
		}
		defer m.Close()
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		year, n, err := m.Holidays.Import(ctx, f)
		if err != nil {
			var ce *workcal.Error
			if errors.As(err, &ce) {
				return fmt.Errorf("%s: %s / %s", *file, ce.Msg, ce.MsgEN)
			}
			return cliError(m.Catalog, err)
		}
		fmt.Fprintf(stdout, "已导入 %d 年节假日安排 %d 条；运行中的服务 5 分钟内生效 / imported %d entries for %d; a running server uses them within 5 minutes\n", year, n, n, year)
		return nil
	case "list":
		yearFlag := fs.Int("year", 0, "show this year's entries (default: this year)")
		m, err := open(ctx, fs, &c, args[1:], stderr, nil)
		if err != nil {
			return err
		}
		defer m.Close()
		cal := m.Holidays.Calendar()
		year := *yearFlag
		if year == 0 {
			year = time.Now().In(cal.Location()).Year()
		}
		fmt.Fprintf(stdout, "years with official entries / 已有节假日安排的年份: %v\n", cal.Years())
		if missing := m.Holidays.Missing(time.Now()); len(missing) > 0 {
			fmt.Fprintf(stdout, "missing / 缺少: %v (deadlines there count Monday–Friday only / 这些年份的时限只按周一至周五计算)\n", missing)
		}
		for _, d := range cal.Days(year) {
			kind := "休 off"
			if !d.Off {
				kind = "班 make-up working day"
			}
			fmt.Fprintf(stdout, "%s  %s  %s\n", d.Date, d.Name, kind)
		}
		if len(cal.Days(year)) == 0 {
			fmt.Fprintln(stdout, strconv.Itoa(year)+": no entries / 无")
		}
		return nil
	}
	return fmt.Errorf("holidays: unknown subcommand %q (want list, import)", args[0])
}
