// civicgrid: live updates through Server-Sent Events. The element #live
// names the stream. When the case (or a case in the list) changes, the page
// reloads itself, unless the viewer has started typing in a form, in which
// case a notice with a reload link appears instead, so nothing typed is lost.
(function () {
	"use strict";
	var el = document.getElementById("live");
	if (!el || !window.EventSource) { return; }
	var typing = false;
	document.addEventListener("input", function () { typing = true; }, true);
	var timer = null;
	var es = new EventSource(el.dataset.stream);
	es.addEventListener("open", function () { document.body.dataset.live = "open"; });
	es.addEventListener("case", function () {
		document.body.dataset.liveEvents = String((parseInt(document.body.dataset.liveEvents || "0", 10)) + 1);
		if (typing) {
			el.textContent = el.dataset.changed + " ";
			var a = document.createElement("a");
			a.href = window.location.href;
			a.textContent = el.dataset.reload;
			el.appendChild(a);
			el.hidden = false;
			return;
		}
		// A burst of changes (a batch of reports) reloads once.
		clearTimeout(timer);
		timer = setTimeout(function () { window.location.reload(); }, 600);
	});
	window.addEventListener("pagehide", function () { es.close(); });
})();
