// civicgrid: the case map (/cases/map). Open cases clustered by the regions
// one level below the current one, from /api/v1/cases/map.geojson: a circle
// per region sized by its open cases, red when some are overdue. A click
// drills down; the breadcrumb and the back button go up. Tiles only when
// configured, as in map.js.
(function () {
	"use strict";
	var el = document.getElementById("casemap");
	if (!el || !window.L) { return; }
	var status = document.getElementById("casemap-status");
	var crumbs = document.getElementById("casemap-crumbs");
	var up = document.getElementById("casemap-up");

	function fmt(s, args) {
		var i = 0;
		return String(s || "").replace(/%[ds]/g, function () { return i < args.length ? String(args[i++]) : ""; });
	}
	function say(t) { if (status) { status.textContent = t || ""; } }

	var map = L.map(el, { zoomSnap: 0.25 });
	if (el.dataset.tiles) {
		L.tileLayer(el.dataset.tiles, { maxZoom: 18, subdomains: "01234567", attribution: el.dataset.attribution || "" }).addTo(map);
	} else {
		el.classList.add("map-plain");
	}
	map.setView([35.25, 115.45], 9);
	var layer = L.layerGroup().addTo(map);
	// path is the way down from the viewer's region: {code, name}.
	var path = [{ code: el.dataset.region, name: el.dataset.name }];
	var seq = 0;

	function drawCrumbs() {
		if (crumbs) {
			crumbs.textContent = "";
			path.forEach(function (p, i) {
				if (i) { crumbs.appendChild(document.createTextNode(" › ")); }
				var last = i === path.length - 1;
				var a = document.createElement(last ? "span" : "a");
				a.textContent = p.name;
				if (!last) {
					a.href = "#";
					a.addEventListener("click", function (e) { e.preventDefault(); go(path.slice(0, i + 1)); });
				} else {
					a.setAttribute("aria-current", "location");
				}
				crumbs.appendChild(a);
			});
		}
		if (up) { up.hidden = path.length < 2; }
	}

	function marker(p) {
		var n = p.open || 0;
		var size = Math.round(Math.min(64, 26 + 8 * Math.log(1 + n) * 1.6));
		var cls = "casemap-cluster" + (p.overdue > 0 ? " casemap-overdue" : "");
		var icon = L.divIcon({
			className: cls,
			html: "<span>" + n + "</span>",
			iconSize: [size, size],
			iconAnchor: [size / 2, size / 2]
		});
		var label = fmt(el.dataset.cluster, [p.name, n, p.overdue || 0]);
		var m = L.marker([p.lat, p.lng], { icon: icon, title: label, alt: label, keyboard: true, riseOnHover: true });
		m.on("click", function () { go(path.concat([{ code: p.code, name: p.name }]), true); });
		return m;
	}

	// go shows the clusters under the last region of next. A drill-down that
	// finds nothing below stays where it was.
	function go(next, drill) {
		var mine = ++seq;
		var cur = next[next.length - 1];
		say(el.dataset.loading);
		el.dataset.state = "loading";
		fetch("/api/v1/cases/map.geojson?region=" + encodeURIComponent(cur.code),
			{ credentials: "same-origin", headers: { "Accept": "application/geo+json" } })
			.then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
			.then(function (fc) {
				if (mine !== seq) { return; }
				var fs = (fc && fc.features) || [];
				if (drill && !fs.length) {
					el.dataset.state = "loaded";
					say(el.dataset.lowest);
					return;
				}
				path = next;
				drawCrumbs();
				layer.clearLayers();
				var open = 0, over = 0, pts = [];
				fs.forEach(function (f) {
					var p = f.properties || {};
					if (f.geometry && f.geometry.coordinates) {
						p.lng = f.geometry.coordinates[0];
						p.lat = f.geometry.coordinates[1];
					}
					if (!isFinite(p.lat) || !isFinite(p.lng) || (!p.lat && !p.lng)) { return; }
					open += p.open || 0;
					over += p.overdue || 0;
					pts.push([p.lat, p.lng]);
					layer.addLayer(marker(p));
				});
				if (pts.length === 1) {
					map.setView(pts[0], Math.max(map.getZoom(), 13));
				} else if (pts.length) {
					map.fitBounds(L.latLngBounds(pts), { padding: [40, 40], maxZoom: 16 });
				}
				el.dataset.clusters = String(pts.length);
				el.dataset.state = "loaded";
				say(open ? fmt(el.dataset.loaded, [cur.name, open, over]) : fmt(el.dataset.empty, [cur.name]));
			})
			.catch(function () {
				if (mine !== seq) { return; }
				el.dataset.state = "error";
				say(el.dataset.failed);
			});
	}

	if (up) { up.addEventListener("click", function () { if (path.length > 1) { go(path.slice(0, -1)); } }); }
	drawCrumbs();
	go(path);
})();
