/* The meeting agenda and projector mode, in the browser (an asset file, not an
   inline script, so a strict Content-Security-Policy can allow it). Callbacks are
   registered in dashboard/callbacks/meeting.py. */
(function () {
    var NEXT_KEYS = {ArrowRight: true, PageDown: true};
    var PREVIOUS_KEYS = {ArrowLeft: true, PageUp: true};

    function triggeredBy(id) {
        var ctx = window.dash_clientside.callback_context;
        return (ctx.triggered || []).some(function (t) {
            return String(t.prop_id).indexOf(id + ".") === 0;
        });
    }

    /* Sets (value) or removes (null) one query parameter without a navigation. */
    function setParam(name, value) {
        var url = new URL(window.location.href);
        if (value === null) { url.searchParams.delete(name); }
        else { url.searchParams.set(name, value); }
        var target = url.pathname + url.search + url.hash;
        if (target !== window.location.pathname + window.location.search + window.location.hash) {
            window.history.replaceState(window.history.state, "", target);
        }
    }

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        meeting: {
            /* Next and Previous: one item forward or back, within the agenda. */
            step: function (nextClicks, previousClicks, item) {
                var current = Number(item) || 1;
                var total = document.querySelectorAll("#meeting-agenda li").length || 4;
                if (triggeredBy("meeting-next")) { return Math.min(current + 1, total); }
                if (triggeredBy("meeting-prev")) { return Math.max(current - 1, 1); }
                return window.dash_clientside.no_update;
            },
            /* The position line, the buttons at either end, the agenda list and
               `?item=` in the address bar follow the item shown. */
            showItem: function (item, agendaItems) {
                var items = agendaItems || [];
                var current = Number(item) || 1;
                setParam("item", String(current));
                var marked = items.map(function (li, index) {
                    var props = Object.assign({}, li.props, {
                        className: index + 1 === current ? "current" : null
                    });
                    return Object.assign({}, li, {props: props});
                });
                return [
                    "Item " + current + " of " + items.length,
                    current <= 1,
                    current >= items.length,
                    marked
                ];
            },
            /* On or off: the toggle flips it; ?projector=1 or 0 in an address sets
               it; otherwise the session keeps what it was. */
            projectorState: function (search, clicks, stored) {
                if (triggeredBy("projector-toggle")) { return !stored; }
                var wanted = new URLSearchParams(search || "").get("projector");
                if (wanted === "1") { return true; }
                if (wanted === "0") { return false; }
                return stored ? true : window.dash_clientside.no_update;
            },
            projectorView: function (on, pathname) {
                if (on) { setParam("projector", "1"); }
                else if (on === false) { setParam("projector", null); }
                return [on ? "app projector" : "app", on ? "true" : "false",
                        window.dash_clientside.no_update];
            }
        }
    });

    /* A presenter's remote sends arrow and page keys: they click the hidden-in-
       plain-sight Next and Previous buttons, unless the user is typing. Captured
       before the map sees them (it would pan). */
    function typing(target) {
        if (!target || !target.closest) { return false; }
        return target.isContentEditable ||
            target.closest("input, textarea, select, .Select, .dash-dropdown") !== null;
    }

    /* The meeting opens on the filters in view: a link to /meeting carries the
       current page's query string (its filters, projector mode). Links are Dash
       links, so navigate the way they do: pushState, then tell dcc.Location. */
    document.addEventListener("click", function (event) {
        var link = event.target && event.target.closest && event.target.closest("a[href]");
        if (!link || link.getAttribute("href") !== "/meeting" || event.button !== 0 ||
            event.ctrlKey || event.metaKey || event.shiftKey) { return; }
        var params = new URLSearchParams(window.location.search);
        params.delete("item");
        var query = params.toString();
        event.preventDefault();
        event.stopPropagation();
        window.history.pushState({}, "", "/meeting" + (query ? "?" + query : ""));
        window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
        window.scrollTo(0, 0);
    }, true);

    document.addEventListener("keydown", function (event) {
        if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) { return; }
        var id = NEXT_KEYS[event.key] ? "meeting-next" :
            (PREVIOUS_KEYS[event.key] ? "meeting-prev" : null);
        var button = id && document.getElementById(id);
        if (!button) { return; }
        event.preventDefault();
        event.stopPropagation();
        if (!button.disabled) { button.click(); }
    }, true);
}());
