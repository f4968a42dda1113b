// Questionnaire pages: charts of the results (ECharts), and on the answer
// form the photo upload and "use where I am" for location questions (bound
// by delegation, since htmx redraws the questions after every change).
(function () {
  "use strict";
  var en = document.documentElement.lang === "en";

  var box = document.getElementById("charts");
  if (box && window.echarts) {
    var results = JSON.parse(box.getAttribute("data-results") || "[]");
    results.forEach(function (q) {
      var series = [];
      if (q.counts && q.counts.length) {
        series.push({ label: q.label, counts: q.counts });
      }
      (q.rows || []).forEach(function (r) { series.push({ label: r.label, counts: r.counts }); });
      var card = document.createElement("section");
      card.className = "card chart-card";
      card.setAttribute("data-testid", "chart-" + q.name);
      var h = document.createElement("h2");
      h.className = "card-title";
      h.textContent = q.label;
      card.appendChild(h);
      var meta = document.createElement("p");
      meta.className = "hint";
      meta.textContent = (en ? "Answered: " : "作答：") + q.answered +
        (q.mean !== undefined ? (en ? " · mean " : " · 平均 ") + Math.round(q.mean * 10) / 10 : "");
      card.appendChild(meta);
      box.appendChild(card);
      if (!series.length) {
        (q.samples || []).slice(-5).forEach(function (s) {
          var p = document.createElement("p"); p.className = "tl-note"; p.textContent = s; card.appendChild(p);
        });
        return;
      }
      series.forEach(function (s) {
        if (series.length > 1 || (q.rows && q.rows.length)) {
          var sub = document.createElement("h3");
          sub.className = "chart-sub";
          sub.textContent = s.label;
          card.appendChild(sub);
        }
        var div = document.createElement("div");
        div.className = "chart";
        div.style.height = Math.max(160, 36 * s.counts.length + 40) + "px";
        card.appendChild(div);
        var chart = echarts.init(div, null, { renderer: "svg" });
        chart.setOption({
          animation: false,
          grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
          xAxis: { type: "value", minInterval: 1 },
          yAxis: { type: "category", inverse: true, data: s.counts.map(function (c) { return c.label; }) },
          series: [{ type: "bar", data: s.counts.map(function (c) { return c.n; }), label: { show: true, position: "right" }, itemStyle: { color: "#c8102e" } }]
        });
        window.addEventListener("resize", function () { chart.resize(); });
      });
    });
    box.setAttribute("data-drawn", "1");
  }

  // Skip logic: after a change, ask the server which questions to show and
  // only toggle them (a redraw could eat what the person is typing).
  document.querySelectorAll("form[data-visible-url]").forEach(function (form) {
    var timer = null, seq = 0;
    form.addEventListener("change", function (ev) {
      if (ev.target.matches && ev.target.matches("input[type=file]")) return;
      clearTimeout(timer);
      timer = setTimeout(function () {
        var mine = ++seq;
        var fd = new FormData(form);
        fd.set("action", "visible");
        form.setAttribute("data-busy", "1");
        fetch(form.getAttribute("data-visible-url"), { method: "POST", body: fd, credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (b) {
            if (!b || mine !== seq) return;
            form.querySelectorAll("fieldset[data-q]").forEach(function (f) {
              var show = !!b.visible[f.getAttribute("data-q")];
              f.hidden = !show;
              f.disabled = !show;
            });
          })
          .finally(function () { if (mine === seq) form.removeAttribute("data-busy"); });
      }, 120);
    });
  });

  // Location questions: a map to tap the point on (tiles only when the
  // server is configured with a tile URL; otherwise a plain background).
  if (window.L) {
    document.querySelectorAll("[data-map-for]").forEach(function (el) {
      var name = el.getAttribute("data-map-for");
      var lat = document.getElementById(name + "-lat"), lng = document.getElementById(name + "-lng");
      var map = L.map(el, { zoomSnap: 0.5 }), marker = null;
      if (el.dataset.tiles) {
        L.tileLayer(el.dataset.tiles, { maxZoom: 18, subdomains: "01234567", attribution: el.dataset.attribution || "" }).addTo(map);
      } else {
        el.classList.add("map-plain");
      }
      function show(la, lo, pan) {
        if (isNaN(la) || isNaN(lo)) return;
        if (!marker) { marker = L.marker([la, lo]).addTo(map); } else { marker.setLatLng([la, lo]); }
        if (pan) map.setView([la, lo], Math.max(map.getZoom() || 0, 14));
      }
      map.setView([35.23, 115.48], 9); // Heze
      show(parseFloat(lat.value), parseFloat(lng.value), true);
      map.on("click", function (e) {
        lat.value = e.latlng.lat.toFixed(6);
        lng.value = e.latlng.lng.toFixed(6);
        show(e.latlng.lat, e.latlng.lng, false);
        lng.dispatchEvent(new Event("change", { bubbles: true }));
      });
      [lat, lng].forEach(function (i) { i.addEventListener("change", function () { show(parseFloat(lat.value), parseFloat(lng.value), true); }); });
    });
  }

  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("[data-locate]");
    if (!btn || !navigator.geolocation) return;
    var ids = btn.getAttribute("data-locate").split(",");
    var status = btn.parentNode.querySelector(".locate-status");
    if (status) status.textContent = en ? "Finding your location…" : "正在获取位置…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById(ids[0]).value = pos.coords.latitude.toFixed(6);
      var lng = document.getElementById(ids[1]);
      lng.value = pos.coords.longitude.toFixed(6);
      if (status) status.textContent = "";
      lng.dispatchEvent(new Event("change", { bubbles: true }));
    }, function () {
      if (status) status.textContent = en ? "Could not get your location." : "无法获取位置，请手动填写。";
    }, { enableHighAccuracy: true, timeout: 15000 });
  }, true);

  document.addEventListener("change", function (ev) {
    var input = ev.target;
    if (!input.matches || !input.matches("input[data-photo-for]") || !input.files.length) return;
    ev.stopPropagation(); // the upload, not the form refresh, handles this change
    var form = input.form;
    var hidden = form.querySelector('input[type=hidden][name="' + input.getAttribute("data-photo-for") + '"]');
    var status = input.parentNode.querySelector(".photo-status");
    var fd = new FormData();
    fd.append("file", input.files[0]);
    var csrf = document.querySelector('meta[name="csrf-token"]');
    if (status) status.textContent = en ? "Uploading…" : "正在上传…";
    fetch("/api/v1/photos", { method: "POST", body: fd, headers: csrf ? { "X-CSRF-Token": csrf.content } : {} })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, b: b }; }); })
      .then(function (x) {
        if (!x.ok) throw new Error(x.b.detail || "upload failed");
        hidden.value = x.b.id;
        if (status) status.textContent = en ? "Photo added." : "照片已添加。";
      })
      .catch(function (e) { if (status) status.textContent = e.message; });
  }, true);
})();
