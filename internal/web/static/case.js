// civicgrid: small aids on the case page; every form works without them.
//   - a sent form cannot be sent twice by a second tap (the version field
//     would refuse it anyway, with a message);
//   - after a refused step, the form with the message comes into view;
//   - "handle it again" can only be asked for with 1 or 2 stars, as the
//     domain only reopens a case for a low rating.
(function () {
	"use strict";
	var forms = document.querySelectorAll("form.act-form");
	for (var i = 0; i < forms.length; i++) {
		forms[i].addEventListener("submit", function (e) {
			var f = e.currentTarget;
			if (f.dataset.sent) { e.preventDefault(); return; }
			f.dataset.sent = "1";
			var b = f.querySelector('button[type="submit"]');
			if (b) { setTimeout(function () { b.disabled = true; }, 0); }
		});
	}
	var reopen = document.getElementById("rate-reopen");
	if (reopen) {
		var stars = document.querySelectorAll('input[name="satisfaction"]');
		var sync = function () {
			var v = 0;
			for (var j = 0; j < stars.length; j++) { if (stars[j].checked) { v = parseInt(stars[j].value, 10); } }
			var ok = v === 0 || v <= 2;
			reopen.disabled = !ok;
			if (!ok) { reopen.checked = false; }
		};
		for (var j = 0; j < stars.length; j++) { stars[j].addEventListener("change", sync); }
		sync();
	}
	var failed = document.querySelector('[data-testid="act-error"]');
	if (failed) {
		var bad = failed.form || failed.closest("form");
		bad = bad && bad.querySelector('[aria-invalid="true"]');
		(bad || failed).scrollIntoView({ block: "center" });
		if (bad) { bad.focus({ preventScroll: true }); }
	}
	window.addEventListener("pageshow", function (e) {
		if (!e.persisted) { return; }
		for (var k = 0; k < forms.length; k++) {
			delete forms[k].dataset.sent;
			var b = forms[k].querySelector('button[type="submit"]');
			if (b) { b.disabled = false; }
		}
	});
})();
