// Volunteer pages: fill a location from the phone before a check-in, and
// the "use where I am" button on the new-activity form.
(function () {
  "use strict";
  var T = {
    zh: { locating: "正在获取位置…", denied: "无法获取位置：请允许浏览器使用定位后重试。", none: "此设备不支持定位。", got: "已定位（精度约 %s 米）" },
    en: { locating: "Finding your location…", denied: "Could not get your location: allow location access and try again.", none: "This device cannot give its location.", got: "Located (within about %s m)" }
  };
  var t = document.documentElement.lang === "en" ? T.en : T.zh;

  function locate(status, done) {
    if (!navigator.geolocation) { status.textContent = t.none; return; }
    status.textContent = t.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      status.textContent = t.got.replace("%s", Math.round(pos.coords.accuracy));
      done(pos.coords);
    }, function () {
      status.textContent = t.denied;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  }

  document.querySelectorAll("form[data-checkin]").forEach(function (form) {
    var status = form.querySelector(".locate-status");
    var submitting = false;
    form.addEventListener("submit", function (ev) {
      if (submitting) return;
      ev.preventDefault();
      var btn = ev.submitter;
      locate(status, function (c) {
        form.elements.lat.value = c.latitude;
        form.elements.lng.value = c.longitude;
        form.elements.accuracy.value = c.accuracy;
        submitting = true;
        var what = document.createElement("input");
        what.type = "hidden"; what.name = "what"; what.value = btn ? btn.value : "in";
        form.appendChild(what);
        form.submit();
      });
    });
  });

  document.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
    sel.addEventListener("change", function () { sel.form.submit(); });
  });

  document.querySelectorAll("[data-locate]").forEach(function (btn) {
    var ids = btn.getAttribute("data-locate").split(",");
    var status = btn.parentNode.querySelector(".locate-status");
    btn.addEventListener("click", function () {
      locate(status, function (c) {
        document.getElementById(ids[0]).value = c.latitude.toFixed(6);
        document.getElementById(ids[1]).value = c.longitude.toFixed(6);
      });
    });
  });
})();
