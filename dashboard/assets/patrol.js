/* Patrol planner: the Print button prints the sheet (assets/patrol.css hides the
   rest of the page on paper). An asset file, not an inline script, for the CSP. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    patrol: {
        printSheet: function (clicks) {
            if (clicks) { window.print(); }
            return window.dash_clientside.no_update;
        }
    }
});
