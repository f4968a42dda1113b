// Package market owns the points supermarkets (红色积分超市): a shop per
// village or community with its catalogue, redemption days and keepers;
// orders that hold the buyer's points and reserve stock until the keeper
// hands the goods over on the redemption day, and that give both back when
// cancelled or not collected.
package market

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/ledger"
	"civicgrid/internal/region"
	"civicgrid/internal/store"

	"github.com/oklog/ulid/v2"
)

// beijing is where redemption days are counted.
var beijing = time.FixedZone("CST", 8*3600)

// Market is a points supermarket.
type Market struct {
	ID         string    `json:"id"`
	RegionCode string    `json:"region_code"`
	RegionName string    `json:"region_name"`
	RegionPath string    `json:"-"`
	Name       string    `json:"name"`
	Address    string    `json:"address,omitempty"`
	AccountID  string    `json:"account_id"`
	Items      []Item    `json:"items,omitempty"`
	Days       []Day     `json:"days,omitempty"`
	Keepers    []string  `json:"keepers,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// Item is a good or service in a catalogue.
type Item struct {
	ID       string `json:"id"`
	MarketID string `json:"market_id"`
	Name     string `json:"name"`
	Kind     string `json:"kind"` // good | service
	Price    int64  `json:"price"`
	Stock    int64  `json:"stock"` // available now (orders held are already taken off)
	Active   bool   `json:"active"`
	// StockWas, when changing an item, is the stock the change was based
	// on: the change is then applied as a difference, so orders reserved
	// meanwhile are not undone. Without it the stock is set as given.
	StockWas *int64 `json:"stock_was,omitempty"`
}

// Day is a redemption day in Beijing time.
type Day struct {
	Day    string `json:"day"` // YYYY-MM-DD
	Opens  string `json:"opens"`
	Closes string `json:"closes"`
}

// End is the moment the day's redemption closes.
func (d Day) End() time.Time {
	t, _ := time.ParseInLocation("2006-01-02 15:04", d.Day+" "+d.Closes, beijing)
	return t
}

// Regions is what the package needs of the region tree.
type Regions interface {
	Lookup(code string) (region.Info, bool)
}

// Service runs the supermarkets.
type Service struct {
	db      *store.DB
	regions Regions
	codes   func(userID string, window int64) string
}

// CounterWindow is how long a buyer's counter code is valid (this window
// and the one before).
const CounterWindow = 5 * time.Minute

// SetCounterCodes sets the keyed function that makes a buyer's counter code
// for a time window: the buyer shows it from their wallet page, and a keeper
// can redeem their points only with it.
func (s *Service) SetCounterCodes(fn func(userID string, window int64) string) { s.codes = fn }

// CounterCode is the actor's current code for counter sales.
func (s *Service) CounterCode(userID string, now time.Time) string {
	if s.codes == nil || userID == "" {
		return ""
	}
	return s.codes(userID, now.Unix()/int64(CounterWindow/time.Second))
}

func (s *Service) counterCodeValid(userID, code string, now time.Time) bool {
	if s.codes == nil || strings.TrimSpace(code) == "" {
		return false
	}
	w := now.Unix() / int64(CounterWindow/time.Second)
	return code == s.codes(userID, w) || code == s.codes(userID, w-1)
}

// New wires the service.
func New(db *store.DB, regions Regions) *Service { return &Service{db: db, regions: regions} }

func name(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return s, errs.Field(field, "err.required")
	}
	if utf8.RuneCountInString(s) > max {
		return s, errs.Field(field, "err.too_long", max)
	}
	return s, nil
}

// Create opens a supermarket in a village or community (or town), with
// its store account in the ledger.
func (s *Service) Create(ctx context.Context, actor auth.Actor, regionCode, marketName, address string) (Market, error) {
	marketName, err := name("name", marketName, 40)
	if err != nil {
		return Market{}, err
	}
	r, ok := s.regions.Lookup(regionCode)
	if !ok {
		return Market{}, errs.Field("region_code", "err.not_found")
	}
	if err := actor.Authorize(auth.MarketManage, r.Path); err != nil {
		return Market{}, err
	}
	m := Market{ID: ulid.Make().String(), RegionCode: r.Code, RegionName: r.Name, RegionPath: r.Path, Name: marketName, Address: strings.TrimSpace(address)}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if m.AccountID, err = ledger.EnsureAccount(ctx, tx, ledger.Store, m.ID, r.Code, r.Path, marketName); err != nil {
			return err
		}
		m.CreatedAt = tx.Now()
		_, err = tx.Exec(ctx, `INSERT INTO markets (id, region_code, region_path, name, address, account_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			m.ID, r.Code, r.Path, marketName, m.Address, m.AccountID, tx.NowText())
		if errs.Is(err, errs.Conflict) {
			return errs.Field("name", "err.volunteer.name_taken")
		}
		return err
	})
	return m, err
}

const marketCols = `id, region_code, region_path, name, address, account_id, created_at`

func (s *Service) scanMarket(r interface{ Scan(...any) error }) (Market, error) {
	var m Market
	var at string
	if err := r.Scan(&m.ID, &m.RegionCode, &m.RegionPath, &m.Name, &m.Address, &m.AccountID, &at); err != nil {
		return m, err
	}
	m.CreatedAt, _ = store.ParseTime(at)
	if r, ok := s.regions.Lookup(m.RegionCode); ok {
		m.RegionName = r.Name
	}
	return m, nil
}

func (s *Service) market(ctx context.Context, tx *store.Tx, id string) (Market, error) {
	m, err := s.scanMarket(tx.QueryRow(ctx, `SELECT `+marketCols+` FROM markets WHERE id = ?`, id))
	if err != nil {
		return m, err
	}
	rows, err := tx.Query(ctx, `SELECT user_id FROM market_keepers WHERE market_id = ? ORDER BY user_id`, id)
	if err != nil {
		return m, err
	}
	defer rows.Close()
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return m, err
		}
		m.Keepers = append(m.Keepers, u)
	}
	return m, rows.Err()
}

// keeps: a keeper of the market, or staff managing markets there.
func keeps(actor auth.Actor, m Market) error {
	for _, k := range m.Keepers {
		if k == actor.UserID && actor.UserID != "" {
			return nil
		}
	}
	return actor.Authorize(auth.MarketManage, m.RegionPath)
}

// IsKeeper reports whether the actor may run the market.
func (s *Service) IsKeeper(actor auth.Actor, m Market) bool { return keeps(actor, m) == nil }

// Get returns a market with its catalogue and coming redemption days.
func (s *Service) Get(ctx context.Context, id string) (Market, error) {
	var m Market
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		if m, err = s.market(ctx, tx, id); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, market_id, name, kind, price, stock, active FROM market_items WHERE market_id = ? ORDER BY active DESC, price, name`, id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var it Item
			var active int
			if err := rows.Scan(&it.ID, &it.MarketID, &it.Name, &it.Kind, &it.Price, &it.Stock, &active); err != nil {
				rows.Close()
				return err
			}
			it.Active = active == 1
			m.Items = append(m.Items, it)
		}
		rows.Close()
		today := tx.Now().In(beijing).Format("2006-01-02")
		rows, err = tx.Query(ctx, `SELECT day, opens, closes FROM market_days WHERE market_id = ? AND day >= ? ORDER BY day LIMIT 12`, id, today)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d Day
			if err := rows.Scan(&d.Day, &d.Opens, &d.Closes); err != nil {
				return err
			}
			m.Days = append(m.Days, d)
		}
		return rows.Err()
	})
	return m, err
}

// List lists the markets under a region subtree (public).
func (s *Service) List(ctx context.Context, path string) ([]Market, error) {
	var out []Market
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		found, err := store.All(ctx, tx, s.scanMarket, `SELECT `+marketCols+` FROM markets WHERE region_path LIKE ? ORDER BY region_path, name LIMIT 500`, path+"%")
		out = found
		return err
	})
	return out, err
}

// AddKeeper appoints a keeper.
func (s *Service) AddKeeper(ctx context.Context, actor auth.Actor, marketID, userID string) error {
	return s.db.Write(ctx, func(tx *store.Tx) error {
		m, err := s.market(ctx, tx, marketID)
		if err != nil {
			return err
		}
		if err := actor.Authorize(auth.MarketManage, m.RegionPath); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO market_keepers (market_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, marketID, userID)
		if errs.Is(err, errs.Invalid) {
			return errs.Field("user_id", "err.not_found")
		}
		return err
	})
}

// AddDay adds (or changes the hours of) a redemption day.
func (s *Service) AddDay(ctx context.Context, actor auth.Actor, marketID string, d Day) error {
	if d.Opens == "" {
		d.Opens = "08:30"
	}
	if d.Closes == "" {
		d.Closes = "17:30"
	}
	if _, err := time.Parse("2006-01-02", d.Day); err != nil {
		return errs.Field("day", "err.invalid_date")
	}
	o, e1 := time.Parse("15:04", d.Opens)
	c, e2 := time.Parse("15:04", d.Closes)
	if e1 != nil || e2 != nil || !c.After(o) {
		return errs.Field("closes", "err.market.hours")
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		m, err := s.market(ctx, tx, marketID)
		if err != nil {
			return err
		}
		if err := keeps(actor, m); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO market_days (market_id, day, opens, closes) VALUES (?, ?, ?, ?)
			ON CONFLICT (market_id, day) DO UPDATE SET opens = excluded.opens, closes = excluded.closes`, marketID, d.Day, d.Opens, d.Closes)
		return err
	})
}

// SaveItem adds an item (empty ID) or changes one's price, stock or state.
func (s *Service) SaveItem(ctx context.Context, actor auth.Actor, it Item) (Item, error) {
	var err error
	if it.Name, err = name("name", it.Name, 40); err != nil {
		return it, err
	}
	switch {
	case it.Kind != "good" && it.Kind != "service":
		return it, errs.Field("kind", "err.invalid")
	case it.Price <= 0 || it.Price > 1_000_000:
		return it, errs.Field("price", "err.range", 1, 1_000_000)
	case it.Stock < 0 || it.Stock > 1_000_000:
		return it, errs.Field("stock", "err.range", 0, 1_000_000)
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		m, err := s.market(ctx, tx, it.MarketID)
		if err != nil {
			return err
		}
		if err := keeps(actor, m); err != nil {
			return err
		}
		if it.ID == "" {
			it.ID = ulid.Make().String()
			it.Active = true
			_, err = tx.Exec(ctx, `INSERT INTO market_items (id, market_id, name, kind, price, stock, active, created_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?)`,
				it.ID, it.MarketID, it.Name, it.Kind, it.Price, it.Stock, tx.NowText())
			return err
		}
		q, args := `UPDATE market_items SET name = ?, kind = ?, price = ?, stock = ?, active = ? WHERE id = ? AND market_id = ?`,
			[]any{it.Name, it.Kind, it.Price, it.Stock, boolInt(it.Active), it.ID, it.MarketID}
		if it.StockWas != nil {
			d := it.Stock - *it.StockWas
			q, args = `UPDATE market_items SET name = ?, kind = ?, price = ?, stock = stock + ?, active = ? WHERE id = ? AND market_id = ? AND stock + ? >= 0`,
				[]any{it.Name, it.Kind, it.Price, d, boolInt(it.Active), it.ID, it.MarketID, d}
		}
		res, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.Field("id", "err.not_found")
		}
		return tx.QueryRow(ctx, `SELECT stock FROM market_items WHERE id = ?`, it.ID).Scan(&it.Stock)
	})
	it.StockWas = nil
	return it, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Near lists the markets a person at path can use: those of the regions
// above them (their village's) and those inside their area.
func (s *Service) Near(ctx context.Context, path string) ([]Market, error) {
	var out []Market
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		found, err := store.All(ctx, tx, s.scanMarket, `SELECT `+marketCols+` FROM markets WHERE region_path LIKE ? OR ? LIKE region_path || '%' ORDER BY region_path, name LIMIT 200`, path+"%", path)
		out = found
		return err
	})
	return out, err
}
