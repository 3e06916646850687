/* Drawing on a map: the one click binding shared by the actions page (an action's
   place), the review page (a new place) and the patrol planner (the station area).
   Plotly's MapLibre maps have no drawing tools, so a click anywhere on the map (not
   only on a marker) is caught on the MapLibre map itself and written, as
   {lon, lat, at}, into a dcc.Store; each page's callbacks turn clicks into what
   it draws. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    actions: {
        bindMapClicks: function (figure, graphId, storeId) {
            var tries = 0;
            function bind() {
                var graph = document.getElementById(graphId);
                var gd = graph && graph.querySelector(".js-plotly-plot");
                var layout = gd && gd._fullLayout;
                var subplot = layout && layout.map && layout.map._subplot;
                var map = subplot && subplot.map;
                if (!map) {
                    if (tries++ < 100) { window.setTimeout(bind, 100); }
                    return;
                }
                if (map.__observatoryClicks) { return; }
                map.__observatoryClicks = true;
                map.on("click", function (event) {
                    window.dash_clientside.set_props(storeId, {
                        data: {lon: event.lngLat.lng, lat: event.lngLat.lat, at: Date.now()}
                    });
                });
                graph.setAttribute("data-clicks-bound", "true");
            }
            bind();
            return window.dash_clientside.no_update;
        },
        /* Keeps ?action=ID&categories=... in the address bar, so the evaluation shown
           can be bookmarked and reopened at the next meeting. */
        syncEvaluationUrl: function (action, categories) {
            var params = new URLSearchParams(window.location.search);
            params.delete("action");
            params.delete("categories");
            if (action !== null && action !== undefined) { params.set("action", action); }
            if (categories && categories.length) {
                params.set("categories", categories.join(","));
            }
            var query = params.toString();
            window.history.replaceState(window.history.state, "",
                window.location.pathname + (query ? "?" + query : "") + window.location.hash);
            return window.dash_clientside.no_update;
        }
    }
});
