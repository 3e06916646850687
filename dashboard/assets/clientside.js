/* Browser-side callbacks (an asset file, not inline scripts, so a strict
   Content-Security-Policy can allow them). Registered in dashboard/callbacks. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    observatory: {
        /* Marks the navigation link of the page being shown. */
        markActiveLink: function (pathname, linkIds) {
            return linkIds.map(function (id) {
                return id.index === pathname ? "nav-link active" : "nav-link";
            });
        },
        /* Writes the map filters into the address bar so the view can be
           bookmarked; replaceState fires no navigation, so nothing re-renders. */
        syncMapUrl: function (start, end, categories) {
            var params = new URLSearchParams();
            // Projector mode is not a filter, but the address keeps it (meeting.js).
            var projector = new URLSearchParams(window.location.search).get("projector");
            if (projector) { params.set("projector", projector); }
            if (start) { params.set("start", String(start).slice(0, 10)); }
            if (end) { params.set("end", String(end).slice(0, 10)); }
            if (categories && categories.length) {
                params.set("categories", categories.join(","));
            }
            var query = params.toString();
            var url = window.location.pathname + (query ? "?" + query : "") +
                window.location.hash;
            window.history.replaceState(window.history.state, "", url);
            return window.dash_clientside.no_update;
        }
    }
});
