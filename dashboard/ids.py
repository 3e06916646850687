"""Every component id in the dashboard, in one place, kebab-case.

Pattern-matching ids (dicts) are built by the functions at the end.
"""

from __future__ import annotations

# The shell around every page.
URL = "url"
NAV = "nav"
NAV_LINK = "nav-link"  # pattern-matching type, index = page path

# Map page.
MAP_DATES = "map-dates"
MAP_CATEGORIES = "map-categories"
MAP_GRAPH = "map-graph"
MAP_HEADLINES = "map-headlines"
MAP_ATTRIBUTION = "map-attribution"
MAP_STATUS = "map-status"
# What the browser already holds: the filters and data version its hexagons were
# drawn for, so a filter change can send colours only.
MAP_DRAWN = "map-drawn"
MAP_URL_SYNC = "map-url-sync"

HEADLINE_INCIDENTS = "headline-incidents"
HEADLINE_WARDS = "headline-wards"
HEADLINE_PLACED = "headline-placed"
HEADLINE_TOP_CATEGORY = "headline-top-category"

# About the data page.
ABOUT_AGENCIES = "about-agencies"
ABOUT_WARDS = "about-wards"


def nav_link(path: str) -> dict:
    return {"type": NAV_LINK, "index": path}


# Patrol planner page.
PATROL_STATION = "patrol-station"
PATROL_WARDS = "patrol-wards"
PATROL_START_HOUR = "patrol-start-hour"
PATROL_END_HOUR = "patrol-end-hour"
PATROL_DAYS = "patrol-days"
PATROL_CATEGORIES = "patrol-categories"
PATROL_POINTS_WANTED = "patrol-points-wanted"
PATROL_OFFICER_HOURS = "patrol-officer-hours"
PATROL_AS_OF = "patrol-as-of"
PATROL_PLAN_BUTTON = "patrol-plan-button"
PATROL_STATUS = "patrol-status"
# What is on the sheet: {"params": ...} for a fresh plan or {"plan_id": N} for a saved one.
PATROL_CURRENT = "patrol-current"
PATROL_SHEET = "patrol-sheet"
PATROL_SHEET_TITLE = "patrol-sheet-title"
PATROL_SHEET_LINES = "patrol-sheet-lines"
PATROL_MAP = "patrol-map"
PATROL_MAP_ATTRIBUTION = "patrol-map-attribution"
PATROL_POINTS = "patrol-points"
PATROL_SCHEDULE = "patrol-schedule"
PATROL_NAME = "patrol-name"
PATROL_SAVE = "patrol-save"
PATROL_PDF_BUTTON = "patrol-pdf-button"
PATROL_DOWNLOAD = "patrol-download"
PATROL_PRINT = "patrol-print"
PATROL_PRINTED = "patrol-printed"
PATROL_SAVED = "patrol-saved"
PATROL_EVAL_GRAPH = "patrol-eval-graph"
PATROL_EVAL_TEXT = "patrol-eval-text"
# Drawing the station area on a map.
PATROL_DRAW_MAP = "patrol-draw-map"
PATROL_DRAW_ATTRIBUTION = "patrol-draw-attribution"
PATROL_DRAW_FINISH = "patrol-draw-finish"
PATROL_DRAW_CLEAR = "patrol-draw-clear"
PATROL_DRAW_STATUS = "patrol-draw-status"
PATROL_DRAW_BIND = "patrol-draw-bind"  # hidden: output of the browser-side click binding
PATROL_CLICK = "patrol-click"  # dcc.Store: the last point clicked on the map (set in the browser)
PATROL_VERTICES = "patrol-vertices"  # dcc.Store: corners clicked so far, [[lon, lat], ...]
PATROL_AREA = "patrol-area"  # dcc.Store: the finished polygon (GeoJSON text) or None


# Monthly meeting page (the agenda) and projector mode (every page).
MEETING_ITEM = "meeting-item"  # dcc.Store: the agenda item shown, 1-based
MEETING_SCOPE = "meeting-scope"  # dcc.Store: the filters the agenda counts
MEETING_NEXT = "meeting-next"
MEETING_PREV = "meeting-prev"
MEETING_POSITION = "meeting-position"
MEETING_STAMP = "meeting-stamp"
MEETING_BODY = "meeting-body"
MEETING_AGENDA = "meeting-agenda"
MEETING_PDF = "meeting-pdf"
MEETING_PNGS = "meeting-pngs"
MEETING_EXPORT_STATUS = "meeting-export-status"
MEETING_DOWNLOAD_PDF = "meeting-download-pdf"
MEETING_DOWNLOAD_PNGS = "meeting-download-pngs"
MEETING_GRAPH = "meeting-graph"
APP = "app"
PROJECTOR = "projector"  # dcc.Store (session): projector mode on or off
PROJECTOR_TOGGLE = "projector-toggle"
PROJECTOR_SYNC = "projector-sync"
SIGN_OUT = "sign-out"


# Shared filter bar of the analytics pages (hot spots, clock, trends): one set of
# ids, since one page is shown at a time; the URL query string holds their values.
FILTER_DATES = "filter-dates"
FILTER_CATEGORIES = "filter-categories"
FILTER_AGENCIES = "filter-agencies"
FILTER_WARDS = "filter-wards"
FILTER_BAND = "filter-band"
FILTER_HOUR_FROM = "filter-hour-from"
FILTER_HOUR_TO = "filter-hour-to"
FILTER_FOCUS = "filter-focus"  # dcc.Store: "cell:<h3 hex>", "ward:<code>" or None
FILTER_FOCUS_LABEL = "filter-focus-label"
FILTER_FOCUS_CLEAR = "filter-focus-clear"
FILTER_URL_SYNC = "filter-url-sync"

# Hot-spot page.
HOT_RES = "hot-res"  # "7", "8", "9" or "wards"
HOT_MEASURE = "hot-measure"  # count, rate, gi, emerging
HOT_MAP = "hot-map"
HOT_DRAWN = "hot-drawn"
HOT_STATUS = "hot-status"
HOT_SUMMARY = "hot-summary"
HOT_ATTRIBUTION = "hot-attribution"
HOT_URL_SYNC = "hot-url-sync"

# Crime clock page.
CLOCK_RADIAL = "clock-radial"
CLOCK_HEATMAP = "clock-heatmap"
CLOCK_DATE_ONLY = "clock-date-only"
CLOCK_DAYLIGHT = "clock-daylight"
CLOCK_SUMMARY = "clock-summary"
CLOCK_PEAK = "clock-peak"

# Trends page.
TREND_CATEGORY = "trend-category"
TREND_AGENCY = "trend-agency"
TREND_CARDS = "trend-cards"
TREND_RECENT = "trend-recent"
TREND_YTD = "trend-ytd"
TREND_COMPSTAT = "trend-compstat"


# The public app (dashboard/public_pages): its own pages, so its own ids.
PUB_LANG = "pub-lang"  # dcc.Store: the page's language, from ?lang=
PUB_MAP_FROM = "pub-map-from"
PUB_MAP_TO = "pub-map-to"
PUB_MAP_CATEGORY = "pub-map-category"
PUB_MAP_IMAGE = "pub-map-image"
PUB_MAP_SUMMARY = "pub-map-summary"
PUB_CLOCK_FROM = "pub-clock-from"
PUB_CLOCK_TO = "pub-clock-to"
PUB_CLOCK_CATEGORY = "pub-clock-category"
PUB_CLOCK_BARS = "pub-clock-bars"
PUB_SENS_QUARTER = "pub-sens-quarter"
PUB_SENS_CATEGORY = "pub-sens-category"
PUB_SENS_IMAGE = "pub-sens-image"
PUB_SENS_TABLE = "pub-sens-table"
PUB_ACTIONS = "pub-actions"

# Admin page (full app, admins only).
ADMIN_CSRF = "admin-csrf"  # dcc.Store: a CSRF token bound to the admin's session
ADMIN_USERS = "admin-users"
ADMIN_NEW_NAME = "admin-new-name"
ADMIN_NEW_ROLE = "admin-new-role"
ADMIN_NEW_WARDS = "admin-new-wards"
ADMIN_NEW_PASSWORD = "admin-new-password"
ADMIN_ADD = "admin-add"
ADMIN_STATUS = "admin-status"
ADMIN_TOGGLE = "admin-toggle"  # pattern-matching type, index = username
ADMIN_AUDIT = "admin-audit"
ADMIN_AUDIT_FILTER = "admin-audit-filter"


# Forum actions page (/actions): the map to draw on, the form, the tracker.
ACT_MAP = "act-map"
ACT_MAP_ATTRIBUTION = "act-map-attribution"
ACT_CLICK = "act-click"  # dcc.Store: the last point clicked on the map (set in the browser)
ACT_BIND = "act-bind"  # hidden: output of the browser-side click binding
ACT_VERTICES = "act-vertices"  # dcc.Store: the geometry being drawn, [[lon, lat], ...]
ACT_DRAW_MODE = "act-draw-mode"  # point, line or polygon
ACT_DRAW_UNDO = "act-draw-undo"
ACT_DRAW_CLEAR = "act-draw-clear"
ACT_DRAW_STATUS = "act-draw-status"
ACT_EDITING = "act-editing"  # dcc.Store: id of the action in the form (None: a new one)
ACT_FORM_TITLE = "act-form-title"
ACT_KIND = "act-kind"
ACT_TITLE = "act-title"
ACT_DESCRIPTION = "act-description"
ACT_AGENCY = "act-agency"
ACT_FORUM = "act-forum"
ACT_PRIORITY = "act-priority"
ACT_STATUS = "act-status"
ACT_DECIDED = "act-decided"
ACT_STARTED = "act-started"
ACT_DUE = "act-due"
ACT_COMPLETED = "act-completed"
ACT_SAVE = "act-save"
ACT_NEW = "act-new"
ACT_MESSAGE = "act-message"
ACT_TRACKER = "act-tracker"
ACT_TRACKER_VIEW = "act-tracker-view"  # team or public
ACT_REFRESH = "act-refresh"  # dcc.Store: bumped after a save, redraws map and tracker
ACT_EDIT = "act-edit"  # pattern-matching type, index = action id

# Evaluation page (/evaluation?action=ID).
EVAL_ACTION = "eval-action"
EVAL_CATEGORIES = "eval-categories"
EVAL_TARGET_M = "eval-target-m"
EVAL_RING_MODE = "eval-ring-mode"  # metres or rings
EVAL_RING_M = "eval-ring-m"
EVAL_RING_K = "eval-ring-k"
EVAL_CONTROL_MODE = "eval-control-mode"  # matched, wards or cells
EVAL_CONTROL_WARDS = "eval-control-wards"
EVAL_CONTROL_CELLS = "eval-control-cells"
EVAL_MAX_DAYS = "eval-max-days"
EVAL_MESSAGE = "eval-message"
EVAL_VERDICTS = "eval-verdicts"
EVAL_PERIODS = "eval-periods"
EVAL_RESULTS = "eval-results"
EVAL_MAP = "eval-map"
EVAL_NOTES = "eval-notes"
EVAL_URL_SYNC = "eval-url-sync"
EVAL_LENS_MAP = "eval-lens-map"
EVAL_LENS_TABLE = "eval-lens-table"
EVAL_LENS_STATUS = "eval-lens-status"
EVAL_ATTRIBUTION = "eval-attribution"


def eval_value(measure: str, subset: str) -> str:
    """The cell showing one measure (wdq, tne, verdict) for all incidents or night only."""
    return f"eval-{measure}-{subset}"


# Safety audits page (/audits): one survey round at a time.
AUD_ROUND = "aud-round"
AUD_STATUS = "aud-status"
AUD_HEADLINES = "aud-headlines"
AUD_TRUST_VALUE = "aud-trust-value"  # data-proportion, data-low, data-high: unrounded
AUD_TRUST_INTERVAL = "aud-trust-interval"
AUD_UNSAFE_VALUE = "aud-unsafe-value"
AUD_RESPONDENTS = "aud-respondents"
AUD_INDICATOR = "aud-indicator"
AUD_INDICATOR_GRAPH = "aud-indicator-graph"
AUD_DARK_WARD = "aud-dark-ward"
AUD_DARK_GRAPH = "aud-dark-graph"
AUD_PERCEPTION_GRAPH = "aud-perception-graph"
AUD_PLACES_MAP = "aud-places-map"
AUD_ATTRIBUTION = "aud-attribution"
AUD_UNMATCHED = "aud-unmatched"

# Justice chain page (/justice).
JUS_CATEGORIES = "jus-categories"
JUS_AGENCIES = "jus-agencies"
JUS_WARDS = "jus-wards"
JUS_BY = "jus-by"  # compare the funnel by: none, category, agency, ward_code
JUS_PERIOD = "jus-period"  # months in each compared period
JUS_STATUS = "jus-status"
JUS_FUNNEL = "jus-funnel"
JUS_FUNNEL_TABLE = "jus-funnel-table"
JUS_DURATIONS = "jus-durations"
JUS_STUCK = "jus-stuck"
JUS_CHANGE = "jus-change"

# Feedback on police services page (/feedback).
FB_STATIONS = "fb-stations"
FB_STATUS = "fb-status"
FB_HEADLINES = "fb-headlines"
FB_STATION_TABLE = "fb-station-table"
FB_RATINGS = "fb-ratings"
FB_COMPLAINTS = "fb-complaints"
FB_TRUST = "fb-trust"

# Place review page (/review): texts the ETL could not place confidently.
REV_STATUS = "rev-status"
REV_QUEUE = "rev-queue"  # the table of texts, most frequent first
REV_PICK = "rev-pick"  # pattern-matching: {"type": REV_PICK, "index": text value}
REV_TEXT = "rev-text"  # dropdown: the text under review (value: JSON [location, ward])
REV_CURRENT = "rev-current"  # where its rows are now
REV_SUGGESTION = "rev-suggestion"  # dropdown: place:ID or ward:CODE
REV_MAP = "rev-map"
REV_MAP_ATTRIBUTION = "rev-map-attribution"
REV_CLICK = "rev-click"  # dcc.Store: the last point clicked on the map (set in the browser)
REV_BIND = "rev-bind"  # hidden: output of the browser-side click binding
REV_NEW_NAME = "rev-new-name"
REV_NEW_KIND = "rev-new-kind"
REV_NEW_POINT = "rev-new-point"
REV_SAVE = "rev-save"
REV_MESSAGE = "rev-message"
REV_REFRESH = "rev-refresh"  # dcc.Store bumped after a save: the queue reloads

# Linked records page (/links): groups of records that are one event.
LNK_STATUS = "lnk-status"
LNK_GROUPS = "lnk-groups"
LNK_CONFIRM = "lnk-confirm"  # pattern-matching: {"type": LNK_CONFIRM, "index": group id}
LNK_SPLIT = "lnk-split"  # pattern-matching: {"type": LNK_SPLIT, "index": incident id}
LNK_MESSAGE = "lnk-message"
LNK_REFRESH = "lnk-refresh"

# Completeness page (/completeness): which agencies saw which events.
CMP_STATUS = "cmp-status"
CMP_TABLE = "cmp-table"
CMP_ESTIMATES = "cmp-estimates"
CMP_ASSUMPTIONS = "cmp-assumptions"

# The forum actions' timeline beside the trend chart (trends page; callback in
# dashboard.callbacks.actions).
TREND_ACTIONS = "trend-actions"
CLOCK_ACTIONS = "clock-actions"  # the same timeline on the clock page
CMP_GRAPH = "cmp-graph"
CMP_LOAD = "cmp-load"  # hidden: fires the page's one callback when it opens
