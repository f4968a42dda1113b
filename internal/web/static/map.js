// civicgrid: draws a region's grids or children with Leaflet. Tiles come
// from the configured URL template only; without one the polygons are drawn
// on a plain background and nothing is fetched from outside.
(function () {
	"use strict";
	var el = document.getElementById("map");
	if (!el || !window.L) { return; }
	var status = document.getElementById("map-status");
	var say = function (t) { if (status) { status.textContent = t; } };
	var map = L.map(el, { preferCanvas: true, zoomSnap: 0.25 });
	var tiles = el.dataset.tiles;
	if (tiles) {
		L.tileLayer(tiles, { maxZoom: 18, subdomains: "01234567", attribution: el.dataset.attribution || "" }).addTo(map);
	} else {
		el.classList.add("map-plain");
	}
	map.setView([35.25, 115.45], 9);
	say(el.dataset.loading);
	fetch(el.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/geo+json" } })
		.then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
		.then(function (fc) {
			var hl = el.dataset.highlight;
			var layer = L.geoJSON(fc, {
				style: function (f) {
					var mine = f.properties.code === hl;
					return { color: mine ? "#c8102e" : "#1f5fa8", weight: mine ? 3 : 1, fillOpacity: mine ? 0.35 : 0.12 };
				},
				onEachFeature: function (f, l) {
					var p = f.properties;
					var a = document.createElement("a");
					a.href = "/regions/" + encodeURIComponent(p.code);
					a.textContent = p.name + " (" + p.code + ") — " + el.dataset.open;
					l.bindPopup(a);
					l.bindTooltip(p.name, { sticky: true });
				}
			}).addTo(map);
			if (fc.features && fc.features.length) { map.fitBounds(layer.getBounds(), { padding: [8, 8] }); }
			el.dataset.features = String(fc.features ? fc.features.length : 0);
			say(el.dataset.loaded.replace("%d", el.dataset.features));
		})
		.catch(function () { say(el.dataset.failed); el.dataset.features = "error"; });
})();
