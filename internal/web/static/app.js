// civicgrid: attach the CSRF token from <meta name="csrf-token" content="...">
// as the X-CSRF-Token header to every htmx request. Nothing else.
(function () {
	"use strict";
	document.addEventListener("htmx:configRequest", function (evt) {
		var meta = document.querySelector('meta[name="csrf-token"]');
		if (meta && meta.content) {
			evt.detail.headers["X-CSRF-Token"] = meta.content;
		}
	});
})();
