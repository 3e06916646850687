/* Browser-side callbacks of the analytics pages (hot spots, clock, trends): the
   filters go into the address bar, so a view can be bookmarked, and into the
   navigation links, so the next page opens with the same filters. Registered in
   dashboard/callbacks/analytics.py and hotspots.py. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    analytics: {
        /* The keys dashboard.filters.ViewFilters reads, from the filter bar. */
        viewParams: function (start, end, categories, agencies, wards, band, from, to, focus) {
            var params = new URLSearchParams();
            if (start) { params.set("start", String(start).slice(0, 10)); }
            if (end) { params.set("end", String(end).slice(0, 10)); }
            if (categories && categories.length) { params.set("categories", categories.join(",")); }
            if (agencies && agencies.length) { params.set("agencies", agencies.join(",")); }
            if (wards && wards.length) { params.set("wards", wards.join(",")); }
            if (band === "custom") {
                if (from !== null && from !== undefined && to !== null && to !== undefined) {
                    params.set("hours", from + "-" + to);
                }
            } else if (band) {
                params.set("hours", band);
            }
            if (focus) { params.set("focus", focus); }
            return params;
        },
        /* Replaces `keys` in the address bar with `params` (other keys stay);
           replaceState fires no navigation, so nothing re-renders. */
        replaceKeys: function (keys, params) {
            var current = new URLSearchParams(window.location.search);
            keys.forEach(function (key) { current.delete(key); });
            params.forEach(function (value, key) { current.set(key, value); });
            var query = current.toString().replace(/%2C/g, ",").replace(/%3A/g, ":");
            var url = window.location.pathname + (query ? "?" + query : "") + window.location.hash;
            window.history.replaceState(window.history.state, "", url);
        },
        syncViewUrl: function (start, end, categories, agencies, wards, band, from, to, focus,
                               linkIds) {
            var ns = window.dash_clientside.analytics;
            var params = ns.viewParams(start, end, categories, agencies, wards, band, from, to,
                                       focus);
            ns.replaceKeys(["start", "end", "categories", "agencies", "wards", "hours", "focus"],
                           params);
            var query = params.toString().replace(/%2C/g, ",").replace(/%3A/g, ":");
            return linkIds.map(function (id) { return id.index + (query ? "?" + query : ""); });
        },
        syncHotspotUrl: function (res, measure) {
            var params = new URLSearchParams();
            if (res) { params.set("res", res); }
            if (measure) { params.set("measure", measure); }
            window.dash_clientside.analytics.replaceKeys(["res", "measure"], params);
            return window.dash_clientside.no_update;
        }
    }
});
