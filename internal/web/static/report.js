// civicgrid: the report forms (/report for residents, /quick for part-time
// grid workers). Everything here is an aid: both forms work as plain POSTs
// without it.
//   - class → subcategory: the class select narrows the subcategory select;
//   - location: "use my location" (navigator.geolocation, WGS-84), a Leaflet
//     pin on /report (tiles only when configured, as in map.js), and the grid
//     the point falls in, from /api/v1/locate;
//   - photos: each chosen file is uploaded at once to /api/v1/photos, shown
//     as a thumbnail read from the local file (a data: URL, which the CSP
//     allows; blob: it does not), and its id kept in a hidden
//     "photos" field (without JS the files go with the form, multipart);
//   - the quick form is sent with fetch and retried with the same
//     idempotency key on network failure (exponential backoff, at most 5
//     tries), so a flaky phone connection never files a case twice.
(function () {
	"use strict";

	var HEZE = [35.25, 115.45];

	function fmt(s, args) {
		var i = 0;
		return String(s || "").replace(/%[ds]/g, function () { return i < args.length ? String(args[i++]) : ""; });
	}

	function say(el, text) { if (el) { el.textContent = text || ""; } }

	// ---- class → subcategory ------------------------------------------------
	function initCategories(root) {
		var cls = root.querySelector("select[data-subselect]");
		if (!cls) { return; }
		var sub = root.querySelector("#" + cls.dataset.subselect);
		if (!sub) { return; }
		function filter() {
			var c = cls.value;
			var groups = sub.querySelectorAll("optgroup");
			for (var i = 0; i < groups.length; i++) {
				var show = !c || groups[i].dataset.class === c;
				groups[i].hidden = !show;
				groups[i].disabled = !show;
			}
			var sel = sub.options[sub.selectedIndex];
			if (sel && sel.value && c && sel.dataset.class !== c) { sub.value = ""; }
		}
		cls.addEventListener("change", function () { filter(); if (cls.value) { sub.focus(); } });
		sub.addEventListener("change", function () {
			var sel = sub.options[sub.selectedIndex];
			if (sel && sel.dataset.class && cls.value !== sel.dataset.class) { cls.value = sel.dataset.class; filter(); }
		});
		var cur = sub.options[sub.selectedIndex];
		if (cur && cur.dataset.class && !cls.value) { cls.value = cur.dataset.class; }
		filter();
	}

	// ---- quick categories: a chip or the select, not both ----------------------
	function initChips(root) {
		var more = root.querySelector("#category_more");
		var chips = root.querySelectorAll(".chip-input");
		if (!more || !chips.length) { return; }
		more.addEventListener("change", function () {
			if (more.value) { for (var i = 0; i < chips.length; i++) { chips[i].checked = false; } }
		});
		for (var i = 0; i < chips.length; i++) {
			chips[i].addEventListener("change", function () { more.value = ""; });
		}
	}

	// ---- location -------------------------------------------------------------
	function initLocation(root) {
		var lat = root.querySelector("#lat"), lng = root.querySelector("#lng");
		if (!lat || !lng) { return; }
		var crs = root.querySelector("#crs");
		var status = root.querySelector("#locate-status");
		var btn = root.querySelector("#locate-btn");
		var coords = root.querySelector("#coords");
		var mapEl = root.querySelector("#report-map");
		var map = null, marker = null, seq = 0;

		function where(lo, la) {
			var mine = ++seq;
			fetch("/api/v1/locate?lat=" + encodeURIComponent(la) + "&lng=" + encodeURIComponent(lo) + "&crs=wgs84",
				{ credentials: "same-origin", headers: { "Accept": "application/json" } })
				.then(function (r) {
					if (r.status === 404 || r.status === 400) { return null; }
					if (!r.ok) { throw new Error(r.status); }
					return r.json();
				})
				.then(function (loc) {
					if (mine !== seq) { return; }
					if (!loc || !loc.chain) { say(status, status.dataset.outside); status.dataset.state = "outside"; return; }
					var names = [];
					for (var i = 0; i < loc.chain.length; i++) { if (i > 0 || loc.chain.length <= 2) { names.push(loc.chain[i].name); } }
					say(status, fmt(status.dataset.found, [names.join(" › ")]));
					status.dataset.state = "found";
					status.dataset.grid = loc.grid ? loc.grid.code : "";
				})
				.catch(function () {
					if (mine !== seq) { return; }
					say(status, fmt(status.dataset.found, [la.toFixed(5) + ", " + lo.toFixed(5)]));
					status.dataset.state = "found";
				});
		}

		function setPoint(la, lo, fromMap) {
			lat.value = la.toFixed(6);
			lng.value = lo.toFixed(6);
			if (crs) { crs.value = "wgs84"; }
			lat.removeAttribute("aria-invalid");
			lng.removeAttribute("aria-invalid");
			if (coords) { coords.open = false; }
			if (map) {
				if (!marker) {
					marker = L.marker([la, lo], { draggable: true, keyboard: true }).addTo(map);
					marker.on("dragend", function () { var p = marker.getLatLng(); setPoint(p.lat, p.lng, true); });
				} else {
					marker.setLatLng([la, lo]);
				}
				if (!fromMap) { map.setView([la, lo], 17); }
			}
			where(lo, la);
		}

		function locate() {
			if (!navigator.geolocation) { say(status, status.dataset.unsupported); return; }
			say(status, status.dataset.locating);
			status.dataset.state = "locating";
			navigator.geolocation.getCurrentPosition(function (pos) {
				setPoint(pos.coords.latitude, pos.coords.longitude, false);
			}, function (err) {
				status.dataset.state = "failed";
				say(status, err && err.code === 1 ? status.dataset.denied : status.dataset.failed);
				if (coords) { coords.open = true; }
			}, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
		}

		if (mapEl && window.L) {
			mapEl.hidden = false;
			var hint = root.querySelector("#map-hint");
			if (hint) { hint.hidden = false; }
			map = L.map(mapEl, { zoomSnap: 0.5 });
			if (mapEl.dataset.tiles) {
				L.tileLayer(mapEl.dataset.tiles, { maxZoom: 18, subdomains: "01234567", attribution: mapEl.dataset.attribution || "" }).addTo(map);
			} else {
				mapEl.classList.add("map-plain");
			}
			map.setView(HEZE, 9);
			map.on("click", function (e) { setPoint(e.latlng.lat, e.latlng.lng, true); });
		}
		// A point typed by hand (or kept after an error) shows on the map too.
		var la0 = parseFloat(lat.value), lo0 = parseFloat(lng.value);
		if (!isNaN(la0) && !isNaN(lo0) && (la0 || lo0) && (!crs || crs.value === "wgs84")) {
			setPoint(la0, lo0, false);
		} else if (coords && !root.querySelector("#location-error")) {
			coords.open = false;
		}
		if (btn && navigator.geolocation) {
			btn.hidden = false;
			btn.addEventListener("click", locate);
		}
		var form = lat.form;
		if (form && form.dataset.autolocate && !lat.value) { locate(); }
	}

	// ---- photos -----------------------------------------------------------------
	function initPhotos(root) {
		var box = root.querySelector("#photo-field");
		if (!box || !window.fetch || !window.FormData || !window.FileReader) { return; }
		var input = box.querySelector('input[type="file"]');
		var list = box.querySelector("#photo-list");
		var err = box.querySelector("#photo-error");
		if (!input || !list) { return; }
		var max = parseInt(box.dataset.max, 10) || 3;
		var meta = document.querySelector('meta[name="csrf-token"]');

		function showErr(text) {
			say(err, text);
			if (err) { err.hidden = !text; }
			if (text) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
		}
		function pending() { return list.querySelectorAll('li[data-state="uploading"]').length; }
		function sync() {
			box.dataset.pending = String(pending());
			input.disabled = list.querySelectorAll("li").length >= max;
		}
		function removable(li) {
			var b = document.createElement("button");
			b.type = "button";
			b.className = "btn-link photo-remove";
			b.textContent = box.dataset.remove;
			b.addEventListener("click", function () { li.remove(); showErr(""); sync(); });
			li.appendChild(b);
		}
		function upload(file) {
			var li = document.createElement("li");
			li.className = "photo-item";
			li.dataset.state = "uploading";
			var img = document.createElement("img");
			img.className = "photo-thumb";
			img.alt = file.name || "";
			img.dataset.testid = "photo-preview";
			// The CSP allows data: images but not blob: ones.
			var fr = new FileReader();
			fr.onload = function () { img.src = fr.result; };
			fr.readAsDataURL(file);
			var st = document.createElement("span");
			st.className = "photo-state";
			st.setAttribute("role", "status");
			st.textContent = box.dataset.uploading;
			li.appendChild(img);
			li.appendChild(st);
			list.appendChild(li);
			sync();
			var fd = new FormData();
			fd.append("photo", file, file.name || "photo");
			var hdr = { "Accept": "application/json" };
			if (meta && meta.content) { hdr["X-CSRF-Token"] = meta.content; }
			fetch("/api/v1/photos", { method: "POST", body: fd, credentials: "same-origin", headers: hdr })
				.then(function (r) {
					return r.json().catch(function () { return {}; }).then(function (j) {
						if (!r.ok || !j.id) { throw { detail: j.detail || box.dataset.failed }; }
						return j;
					});
				})
				.then(function (ph) {
					var h = document.createElement("input");
					h.type = "hidden";
					h.name = "photos";
					h.value = ph.id;
					li.appendChild(h);
					li.dataset.state = "done";
					li.dataset.id = ph.id;
					st.textContent = box.dataset.done;
					removable(li);
					sync();
				})
				.catch(function (e) {
					li.remove();
					showErr(e && e.detail ? e.detail : box.dataset.failed);
					sync();
				});
		}
		input.addEventListener("change", function () {
			var files = Array.prototype.slice.call(input.files || []);
			// The files are sent here; the form sends only their ids.
			input.value = "";
			showErr("");
			for (var i = 0; i < files.length; i++) {
				if (list.querySelectorAll("li").length >= max) { showErr(box.dataset.tooMany); break; }
				upload(files[i]);
			}
		});
		var kept = list.querySelectorAll("li");
		for (var k = 0; k < kept.length; k++) { removable(kept[k]); }
		sync();
		// A form is not sent while a photo is still on its way.
		if (input.form) {
			input.form.addEventListener("submit", function (e) {
				if (pending() > 0) {
					e.preventDefault();
					e.stopImmediatePropagation();
					showErr(box.dataset.busy);
				}
			});
		}
	}

	// ---- sending -------------------------------------------------------------------
	// swap puts the <main> of a page fetched in the background in place of
	// ours, as a navigation would, and wires the new content.
	function swap(html) {
		var doc = new DOMParser().parseFromString(html, "text/html");
		var next = doc.querySelector("main");
		var cur = document.querySelector("main");
		if (!next || !cur) { document.open(); document.write(html); document.close(); return; }
		cur.replaceWith(next);
		if (doc.title) { document.title = doc.title; }
		window.scrollTo(0, 0);
		init(next);
	}

	var RETRY_STATUS = { 502: true, 503: true, 504: true };

	function sendWithRetry(form) {
		var body = new URLSearchParams();
		new FormData(form).forEach(function (v, k) {
			if (typeof v === "string") { body.append(k, v); } // photos went ahead
		});
		var btn = form.querySelector('button[type="submit"]');
		var prog = form.querySelector("#submit-progress");
		var max = 5, attempt = 0;
		if (btn) { btn.disabled = true; }
		form.dataset.attempts = "0";
		function fail() {
			if (attempt >= max) {
				if (btn) { btn.disabled = false; }
				say(prog, form.dataset.gaveUp);
				form.dataset.state = "gave-up";
				return;
			}
			var wait = Math.pow(2, attempt - 1);
			say(prog, fmt(form.dataset.retrying, [wait, attempt + 1, max]));
			form.dataset.state = "retrying";
			setTimeout(once, wait * 1000);
		}
		function once() {
			attempt++;
			form.dataset.attempts = String(attempt);
			if (attempt === 1) { say(prog, form.dataset.sending); }
			fetch(form.action, { method: "POST", body: body, credentials: "same-origin", headers: { "Accept": "text/html" } })
				.then(function (r) {
					if (RETRY_STATUS[r.status]) { throw new Error(String(r.status)); }
					return r.text();
				})
				.then(swap, fail);
		}
		once();
	}

	function initSubmit(root) {
		var quick = root.querySelector("#quick-form");
		if (quick && window.fetch && window.URLSearchParams && window.DOMParser) {
			quick.addEventListener("submit", function (e) {
				e.preventDefault();
				sendWithRetry(quick);
			});
		}
		var rep = root.querySelector("#report-form");
		if (rep) {
			// A second tap would send the same idempotency key anyway; this
			// just shows that the first one is on its way.
			rep.addEventListener("submit", function () {
				var b = rep.querySelector('button[type="submit"]');
				if (b) {
					setTimeout(function () { b.disabled = true; if (b.dataset.sending) { b.textContent = b.dataset.sending; } }, 0);
				}
			});
		}
	}

	function init(root) {
		initCategories(root);
		initChips(root);
		initLocation(root);
		initPhotos(root);
		initSubmit(root);
	}

	init(document);
	// Coming back with the back button shows the page as it was left.
	window.addEventListener("pageshow", function (e) {
		if (!e.persisted) { return; }
		var b = document.querySelectorAll('form button[type="submit"]:disabled');
		for (var i = 0; i < b.length; i++) { b[i].disabled = false; }
	});
})();
