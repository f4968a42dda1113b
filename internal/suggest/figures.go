package suggest

import (
	"context"
	"sort"
	"strings"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/store"
)

// Count is one row of the conversion figures.
//
// Every suggestion counts once where it came in (its channel, region,
// topic, maker, association), except a split one, whose parts count in its
// place. A merged suggestion counts with the outcome of the one it was
// merged into, so an opinion-box slip folded into another still shows as
// adopted when that one is. Rate is adopted / relevant: of the suggestions
// assessed as relevant, the share adopted (irrelevant ones are left out).
type Count struct {
	Key         string  `json:"key"`
	Name        string  `json:"name,omitempty"`
	Received    int     `json:"received"`
	Assessed    int     `json:"assessed"` // assessed, relevant or not
	Relevant    int     `json:"relevant"` // assessed as relevant
	Adopted     int     `json:"adopted"`  // adopted, implemented or not yet
	Implemented int     `json:"implemented"`
	Rate        float64 `json:"rate"` // adopted / relevant, 0 when none is relevant
}

func (c *Count) add(o Count) {
	c.Received += o.Received
	c.Assessed += o.Assessed
	c.Relevant += o.Relevant
	c.Adopted += o.Adopted
	c.Implemented += o.Implemented
}

func (c *Count) rate() {
	c.Rate = 0
	if c.Relevant > 0 {
		c.Rate = float64(c.Adopted) / float64(c.Relevant)
	}
}

// Figures are the conversion figures of a region and period.
type Figures struct {
	RegionCode    string    `json:"region_code"`
	RegionName    string    `json:"region_name"`
	From          time.Time `json:"from,omitzero"`
	To            time.Time `json:"to,omitzero"`
	Total         Count     `json:"total"`
	ByChannel     []Count   `json:"by_channel"`
	ByRegion      []Count   `json:"by_region"` // the region's children
	ByTopic       []Count   `json:"by_topic"`
	ByMaker       []Count   `json:"by_maker"`       // each invited suggestion-maker
	ByAssociation []Count   `json:"by_association"` // each association
}

// Figures counts the suggestions received in [from, to) in a region's
// subtree (zero times leave that end open). Rows are grouped in SQL by
// everything the figures break down by, and folded here.
func (s *Service) Figures(ctx context.Context, actor auth.Actor, regionCode string, from, to time.Time) (Figures, error) {
	path := actor.RegionPath
	f := Figures{RegionCode: actor.RegionCode, From: from, To: to}
	if regionCode != "" {
		var err error
		if f.RegionCode, f.RegionName, path, err = s.region("region", regionCode); err != nil {
			return f, err
		}
	}
	if err := actor.Authorize(auth.SuggestionEnter, path); err != nil {
		return f, err
	}
	if f.RegionName == "" {
		s.name(&f.RegionName, f.RegionCode)
		if path == "/" {
			f.RegionCode = ""
		}
	}
	type key struct{ channel, topic, path, maker, assoc string }
	groups := map[key]Count{}
	makers, assocs := map[string]string{}, map[string]string{}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		// e is the status that counts: the target's for a merged one.
		q := `SELECT s.channel, s.topic, s.region_path, s.maker_id, s.association_id, COALESCE(t.status, s.status) AS e, count(*)
			FROM suggestions s LEFT JOIN suggestions t ON s.status = 'merged' AND t.id = s.merged_into
			WHERE s.region_path LIKE ? AND s.status <> 'split' AND (? = '' OR s.received_at >= ?) AND (? = '' OR s.received_at < ?)
			GROUP BY s.channel, s.topic, s.region_path, s.maker_id, s.association_id, COALESCE(t.status, s.status)`
		fs, ts := "", ""
		if !from.IsZero() {
			fs = store.FormatTime(from)
		}
		if !to.IsZero() {
			ts = store.FormatTime(to)
		}
		rows, err := tx.Query(ctx, q, path+"%", fs, fs, ts, ts)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k key
			var e string
			var n int
			if err := rows.Scan(&k.channel, &k.topic, &k.path, &k.maker, &k.assoc, &e, &n); err != nil {
				return err
			}
			c := groups[k]
			c.add(countOf(e, n))
			groups[k] = c
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		for _, t := range []struct {
			table string
			names map[string]string
		}{{"suggestion_makers", makers}, {"associations", assocs}} {
			rs, err := tx.Query(ctx, `SELECT id, name FROM `+t.table+` WHERE region_path LIKE ?`, path+"%")
			if err != nil {
				return err
			}
			for rs.Next() {
				var id, name string
				if err := rs.Scan(&id, &name); err != nil {
					rs.Close()
					return err
				}
				t.names[id] = name
			}
			rs.Close()
			if err := rs.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return f, err
	}
	byChannel, byRegion, byTopic, byMaker, byAssoc := map[string]*Count{}, map[string]*Count{}, map[string]*Count{}, map[string]*Count{}, map[string]*Count{}
	for _, ch := range Channels {
		byChannel[ch] = &Count{Key: ch}
	}
	for id, name := range makers {
		byMaker[id] = &Count{Key: id, Name: name}
	}
	for id, name := range assocs {
		byAssoc[id] = &Count{Key: id, Name: name}
	}
	bump := func(m map[string]*Count, k string, c Count) {
		if m[k] == nil {
			m[k] = &Count{Key: k}
		}
		m[k].add(c)
	}
	for k, c := range groups {
		f.Total.add(c)
		bump(byChannel, k.channel, c)
		bump(byTopic, k.topic, c)
		// The child of the region this one lies under ("" when it sits on
		// the region itself).
		child := strings.SplitN(strings.TrimPrefix(k.path, path), "/", 2)[0]
		bump(byRegion, child, c)
		if k.maker != "" {
			bump(byMaker, k.maker, c)
		}
		if k.assoc != "" {
			bump(byAssoc, k.assoc, c)
		}
	}
	f.Total.rate()
	list := func(m map[string]*Count, order []string) []Count {
		out := make([]Count, 0, len(m))
		for _, c := range m {
			c.rate()
			out = append(out, *c)
		}
		sort.Slice(out, func(i, j int) bool {
			if order != nil {
				return index(order, out[i].Key) < index(order, out[j].Key)
			}
			if out[i].Received != out[j].Received {
				return out[i].Received > out[j].Received
			}
			return out[i].Key < out[j].Key
		})
		return out
	}
	f.ByChannel = list(byChannel, Channels)
	f.ByTopic = list(byTopic, nil)
	f.ByMaker = list(byMaker, nil)
	f.ByAssociation = list(byAssoc, nil)
	f.ByRegion = list(byRegion, nil)
	for i := range f.ByRegion {
		if f.ByRegion[i].Key == "" {
			f.ByRegion[i].Name = f.RegionName
		} else {
			s.name(&f.ByRegion[i].Name, f.ByRegion[i].Key)
		}
	}
	return f, nil
}

func index(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return len(xs)
}

// countOf turns n suggestions whose counting status is e into figures.
func countOf(e string, n int) Count {
	c := Count{Received: n}
	switch e {
	case Irrelevant:
		c.Assessed = n
	case Assessed, Forwarded, NotAdopted:
		c.Assessed, c.Relevant = n, n
	case Adopted:
		c.Assessed, c.Relevant, c.Adopted = n, n, n
	case Implemented:
		c.Assessed, c.Relevant, c.Adopted, c.Implemented = n, n, n, n
	}
	return c
}
